/**
 * A cross-process lock (mkdir is atomic): node's test runner runs test files in parallel
 * processes, and two of them must not build the same tool or start the same server at once.
 * The lock names its owner by pid and the pid's start time: a lock left by a killed process (a
 * session stopped mid-build) is taken over at once, even when a new process has reused its pid,
 * instead of keeping every later run waiting for the timeout.
 */
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, StackError } from '../lib/proc.js';

/** A process's start time in clock ticks since boot (/proc/<pid>/stat, field 22), where there is /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The owner written in a lock: "<pid> <start time>" (or the pid alone, from before start times). */
export function lockOwnerAlive(owner: string): boolean {
  const [pidText, started] = owner.trim().split(/\s+/);
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!Number.isFinite(pid) || !isAlive(pid)) return false;
  const now = processStartTime(pid);
  return started === undefined || now === undefined || now === started;
}

const OWNERLESS_GRACE_MS = 10_000;

function lockAgeMs(lock: string): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

/** Waits for the lock and returns its release function. */
export async function acquireLock(dir: string, name: string, timeoutMs = 40 * 60_000): Promise<() => void> {
  const lock = join(dir, `${name}.lock`);
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim() + '\n');
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: string | undefined;
      try {
        owner = readFileSync(join(lock, 'pid'), 'utf8');
      } catch {
        /* the owner is between mkdir and writing its pid */
      }
      // A lock without an owner after the grace time was left between mkdir and writing the pid.
      const ownerless = (owner === undefined || owner.trim() === '') && lockAgeMs(lock) > OWNERLESS_GRACE_MS;
      if (ownerless || (owner !== undefined && owner.trim() !== '' && !lockOwnerAlive(owner))) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StackError(`timed out waiting for lock ${lock} (held by pid ${owner?.trim()})`);
      await sleep(500);
    }
  }
}

export async function withLock<T>(
  dir: string,
  name: string,
  fn: () => Promise<T>,
  timeoutMs = 40 * 60_000,
): Promise<T> {
  const release = await acquireLock(dir, name, timeoutMs);
  try {
    return await fn();
  } finally {
    release();
  }
}
