/**
 * Finds the processes a command left behind: the command runs with a unique mark in its environment,
 * every process it starts inherits it (a daemon re-parented to init included), and once the command
 * has ended, any process still carrying the mark is a leftover.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';

export const RUN_MARK_VARIABLE = 'SENSOR_PIPELINE_RUN_MARK';

export interface MarkedRun {
  readonly mark: string;
  /** The environment to start the command with. */
  readonly env: NodeJS.ProcessEnv;
}

export function markedRun(base: NodeJS.ProcessEnv = process.env): MarkedRun {
  const mark = randomUUID();
  return { mark, env: { ...base, [RUN_MARK_VARIABLE]: mark } };
}

export interface Leftover {
  readonly pid: number;
  readonly command: string;
}

/** Processes whose environment carries the mark (Linux /proc; none elsewhere). */
export function processesWithMark(mark: string): Leftover[] {
  const needle = `${RUN_MARK_VARIABLE}=${mark}`;
  const found: Leftover[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return [];
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0');
      if (!environ.includes(needle)) continue;
      const command = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid: Number(pid), command });
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return found;
}

/** Waits up to `graceMs` for the marked processes to end; returns those still there. */
export async function leftoversAfter(mark: string, graceMs = 5000): Promise<Leftover[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const left = processesWithMark(mark);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 250));
  }
}
