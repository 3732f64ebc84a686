/**
 * A cross-process lock (mkdir is atomic): node's test runner runs test files in parallel
 * processes, and two of them must not build the same tool or start the same server at once.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, StackError } from '../lib/proc.js';

/** Waits for the lock and returns its release function. */
export async function acquireLock(dir: string, name: string, timeoutMs = 40 * 60_000): Promise<() => void> {
  const lock = join(dir, `${name}.lock`);
  mkdirSync(dir, { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), `${process.pid}\n`);
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = Number.NaN;
      try {
        owner = Number.parseInt(readFileSync(join(lock, 'pid'), 'utf8'), 10);
      } catch {
        /* the owner is between mkdir and writing its pid */
      }
      if (Number.isFinite(owner) && !isAlive(owner)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline)
        throw new StackError(`timed out waiting for lock ${lock} (held by pid ${owner})`);
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
