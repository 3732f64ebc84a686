/**
 * Process plumbing for the local servers: run a tool, start a daemon that outlives this
 * process (pid file + log file), stop it, wait for readiness with the log's tail on failure.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logDir, runDir } from './paths.js';

export class StackError extends Error {
  override name = 'StackError';
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this unprivileged user (needed for postgres when we are root). */
  readonly user?: string;
  /** Stream the tool's output to our stderr (long builds show progress). */
  readonly inherit?: boolean;
  /** Mirror output into this file as well. */
  readonly logFile?: string;
}

/** Wraps a command so it runs as `user` (via runuser) when one is given. */
export function asUser(user: string | undefined, cmd: string, args: readonly string[]): [string, string[]] {
  return user ? ['runuser', ['-u', user, '--', cmd, ...args]] : [cmd, [...args]];
}

/** Runs a command to completion; throws with the command and the tail of its output on failure. */
export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const [file, argv] = asUser(opts.user, cmd, args);
  const child = spawn(file, argv, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > 1_000_000) out = out.slice(-500_000);
    if (opts.inherit) process.stderr.write(chunk);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const code: number = await new Promise((resolveExit, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new StackError(`command not found: ${file}`) : err),
    );
    child.on('close', (c) => resolveExit(c ?? 1));
  });
  if (opts.logFile) writeFileSync(opts.logFile, out, { flag: 'a' });
  if (code !== 0) {
    throw new StackError(`${[cmd, ...args].join(' ')} exited with ${code}:\n${tailText(out, 30)}`);
  }
  return out;
}

export interface DaemonSpec {
  readonly name: string;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly user?: string;
}

export function pidFile(name: string): string {
  return join(runDir(), `${name}.pid`);
}

export function logFile(name: string): string {
  return join(logDir(), `${name}.log`);
}

/** Starts a detached server whose output goes to logs/<name>.log; its pid goes to run/<name>.pid. */
export function startDaemon(spec: DaemonSpec, extraOptions: SpawnOptions = {}): number {
  mkdirSync(runDir(), { recursive: true });
  mkdirSync(logDir(), { recursive: true });
  const fd = openSync(logFile(spec.name), 'a');
  const [file, argv] = asUser(spec.user, spec.cmd, spec.args);
  const child = spawn(file, argv, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', fd, fd],
    ...extraOptions,
  });
  closeSync(fd);
  if (child.pid === undefined) throw new StackError(`could not start ${spec.name} (${spec.cmd})`);
  child.unref();
  writeFileSync(pidFile(spec.name), `${child.pid}\n`);
  return child.pid;
}

export function readPid(name: string): number | undefined {
  const file = pidFile(name);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
  return Number.isFinite(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function daemonPid(name: string): number | undefined {
  const pid = readPid(name);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** SIGTERM the daemon's process group, then SIGKILL after `graceMs`. Returns whether one was running. */
export async function stopDaemon(name: string, graceMs = 20_000): Promise<boolean> {
  const pid = daemonPid(name);
  rmSync(pidFile(name), { force: true });
  if (pid === undefined) return false;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    while (isAlive(pid)) await sleep(50);
  }
  return true;
}

/** SIGKILL a daemon without grace: the crash that chaos and exactly-once tests need. */
export async function killDaemon(name: string): Promise<void> {
  const pid = daemonPid(name);
  if (pid === undefined) return;
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
  rmSync(pidFile(name), { force: true });
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function tailText(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

export function tailFile(file: string, lines = 40): string {
  return existsSync(file) ? tailText(readFileSync(file, 'utf8'), lines) : `(no log at ${file})`;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  /** Daemon whose death ends the wait early and whose log tail explains the failure. */
  readonly daemon?: string;
}

/** Polls `probe` until it returns true; on timeout or daemon death throws with the daemon's log tail. */
export async function waitFor(what: string, probe: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    const dead = opts.daemon !== undefined && daemonPid(opts.daemon) === undefined;
    if (dead || Date.now() > deadline) {
      const why = dead ? `${opts.daemon} exited` : `not ready after ${Math.round(opts.timeoutMs / 1000)} s`;
      const log = opts.daemon
        ? `\n--- tail of ${logFile(opts.daemon)} ---\n${tailFile(logFile(opts.daemon))}`
        : '';
      throw new StackError(`${what}: ${why}${lastError ? ` (last probe error: ${lastError})` : ''}${log}`);
    }
    await sleep(opts.intervalMs ?? 250);
  }
}

/** Fails with the port and the variable that moves it when something else listens there. */
export async function assertPortFree(port: number, envVar: string): Promise<void> {
  const free = await new Promise<boolean>((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolveFree(true)));
  });
  if (!free) {
    throw new StackError(`port ${port} is already in use by another program; set ${envVar} to a free port`);
  }
}

/**
 * A port nothing listens on now, which whoever asked binds a moment later: the OS picks it, or,
 * with `below`, one is drawn under that bound (Temporal's Postgres schema keeps membership ports in
 * a smallint, below the OS's ephemeral range).
 */
export async function freePort(below?: number): Promise<number> {
  if (below === undefined) return listenOn(0);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (below - 20_000));
    const bound = await listenOn(port).catch(() => undefined);
    if (bound !== undefined) return bound;
  }
  throw new StackError(`no free port found between 20000 and ${below}`);
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      const { port: bound } = server.address() as AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}
