/**
 * The bench's own helper processes (simulators, the naive path, the pass-through ceiling): Node
 * children with an IPC channel, so that each is a process of its own whose CPU and RSS the bench can
 * measure, and that reports its counters to the parent. The spec travels as JSON in one variable.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { tailFile } from '../local/lib/proc.js';

export const SPEC_VARIABLE = 'BENCH_CHILD_SPEC';

/** Parent → child. */
export type ToChild = { type: 'go' } | { type: 'stop' };

/** Child → parent: counters are cumulative since the child started. */
export type FromChild =
  | { type: 'ready' }
  | { type: 'progress'; counts: Record<string, number> }
  | { type: 'done'; counts: Record<string, number> }
  | { type: 'failed'; error: string };

export interface BenchChild {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** The last counters the child reported. */
  counts: Record<string, number>;
  readonly ready: Promise<void>;
  /** Resolves with the final counters when the child says it is done. */
  readonly done: Promise<Record<string, number>>;
  send(message: ToChild): void;
}

export function startChild(name: string, entry: string, spec: unknown, logDirectory: string): BenchChild {
  mkdirSync(logDirectory, { recursive: true });
  const logFile = join(logDirectory, `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const child = fork(entry, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [SPEC_VARIABLE]: JSON.stringify(spec) },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const handle: BenchChild = {
    name,
    child,
    logFile,
    counts: {},
    ready: new Promise<void>((resolve, reject) => {
      child.on('message', (m: FromChild) => {
        if (m.type === 'ready') resolve();
      });
      child.on('exit', (code) =>
        reject(new Error(`${name} exited with ${code} before it was ready:\n${tailFile(logFile, 20)}`)),
      );
    }),
    done: new Promise((resolve, reject) => {
      child.on('message', (m: FromChild) => {
        if (m.type === 'progress' || m.type === 'done') handle.counts = m.counts;
        if (m.type === 'done') resolve(m.counts);
        if (m.type === 'failed') reject(new Error(`${name} failed: ${m.error}`));
      });
      child.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${tailFile(logFile, 20)}`)));
    }),
    send: (message) => {
      if (child.connected) child.send(message);
    },
  };
  // The parent awaits these at its own time; an early rejection must not crash it unobserved.
  handle.ready.catch(() => undefined);
  handle.done.catch(() => undefined);
  return handle;
}

/** Asks the child to stop and waits for it to exit (SIGKILL after the grace period). */
export async function stopChild(c: BenchChild, graceMs = 30_000): Promise<void> {
  if (c.child.exitCode !== null || c.child.signalCode !== null) return;
  c.send({ type: 'stop' });
  const timer = setTimeout(() => c.child.kill('SIGKILL'), graceMs);
  await once(c.child, 'exit');
  clearTimeout(timer);
}

/** Child side: the spec, and typed messages to the parent. */
export function childSpec<T>(): T {
  const raw = process.env[SPEC_VARIABLE];
  if (!raw) throw new Error(`${SPEC_VARIABLE} is not set: this file runs as a child of the bench`);
  return JSON.parse(raw) as T;
}

export function tellParent(message: FromChild): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Resolves on the parent's message of that type (or when the parent goes away, for 'stop'). */
export function fromParent(type: ToChild['type']): Promise<void> {
  return new Promise((resolve) => {
    process.on('message', (m: ToChild) => {
      if (m.type === type) resolve();
    });
    if (type === 'stop') process.on('disconnect', () => resolve());
  });
}

/** Child entry boilerplate: run `main`, report a failure to the parent, exit. */
export function runChild(main: () => Promise<Record<string, number>>): void {
  main()
    .then((counts) => tellParent({ type: 'done', counts }))
    .then(() => process.exit(0))
    .catch(async (err: unknown) => {
      console.error(err);
      await tellParent({
        type: 'failed',
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      });
      process.exit(1);
    });
}
