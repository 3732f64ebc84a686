/**
 * The chaos run's own stack instance: its own state directory and ports, so that restarting its
 * servers never disturbs the shared stack that the tests and other runs use. The servers come from
 * the same cache (only start-up costs), and they are always stopped at the end of a run: on success,
 * on failure and on SIGINT/SIGTERM.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadStackConfig, type StackConfig } from '../config.js';
import { kafkaDown, kafkaUp } from '../kafka.js';
import { repoRoot, stateDir } from '../lib/paths.js';
import { selectStackInstance } from '../lib/stack-env.js';
import { StackError, daemonPid, isAlive, killDaemon, stopDaemon } from '../lib/proc.js';
import { postgresDataDir, postgresUp } from '../postgres.js';
import { stackDown } from '../stack.js';
import { temporalDown, temporalUp } from '../temporal.js';

/**
 * The fixed alternative port set and state directory of the chaos instance. Temporal takes the
 * frontend port and the ones after it (history +1, matching +2, worker +6, HTTP +10), membership
 * the base and up to +6; the proxies listen next to the servers they front.
 */
export const CHAOS_STACK_ENV = {
  SENSOR_STACK_STATE_DIR: join(repoRoot, '.stack', 'chaos'),
  STACK_KAFKA_PORT: '29092',
  STACK_KAFKA_CONTROLLER_PORT: '29093',
  STACK_POSTGRES_PORT: '25432',
  STACK_PGBOUNCER_PORT: '26432',
  STACK_TEMPORAL_PORT: '27233',
  STACK_TEMPORAL_MEMBERSHIP_PORT: '26933',
  STACK_TEMPORAL_METRICS_PORT: '28000',
  STACK_TEMPORAL_UI_PORT: '28233',
  STACK_PROMETHEUS_PORT: '29090',
  STACK_KAFKA_EXPORTER_PORT: '29308',
  STACK_ALERTMANAGER_PORT: '29193',
  STACK_ALERT_WEBHOOK_PORT: '29195',
  // The shared broker keeps its 1 GiB; a second one on the same box makes do with half.
  STACK_KAFKA_HEAP_MB: '512',
} as const;

export const CHAOS_PORTS = {
  postgresProxy: 25442,
  temporalProxy: 27263,
} as const;

/**
 * Points this process's stack code (which reads its settings on every call) at the chaos instance.
 * Call before anything touches the stack.
 */
export function useChaosStack(): StackConfig {
  selectStackInstance(CHAOS_STACK_ENV);
  return loadStackConfig();
}

function chaosInstanceSelected(): boolean {
  return stateDir() === resolve(CHAOS_STACK_ENV.SENSOR_STACK_STATE_DIR);
}

/** One chaos run at a time per checkout: the instance's ports are fixed. */
export function acquireChaosLock(): () => void {
  const dir = CHAOS_STACK_ENV.SENSOR_STACK_STATE_DIR;
  const lock = join(dir, 'chaos-run.lock');
  mkdirSync(dir, { recursive: true });
  try {
    mkdirSync(lock);
  } catch {
    const holder = Number(readdirSync(lock)[0]);
    if (Number.isFinite(holder) && isAlive(holder))
      throw new StackError(`another chaos run (pid ${holder}) is using the chaos stack; wait for it to end`);
    rmSync(lock, { recursive: true, force: true });
    mkdirSync(lock);
  }
  mkdirSync(join(lock, String(process.pid)));
  return () => rmSync(lock, { recursive: true, force: true });
}

/**
 * Every run starts from empty servers: a backlog or workflows left by an aborted run would blur the
 * figures, and Kafka offsets must never meet batch workflows of an older topic with the same IDs.
 * Keeps the run lock (in the same directory). Costs the schema setup, some 20-50 s.
 */
export async function resetChaosState(): Promise<void> {
  await chaosStackDown();
  const dir = CHAOS_STACK_ENV.SENSOR_STACK_STATE_DIR;
  rmSync(postgresDataDir(), { recursive: true, force: true });
  for (const entry of readdirSync(dir)) {
    if (entry !== 'chaos-run.lock') rmSync(join(dir, entry), { recursive: true, force: true });
  }
}

/** Stops the chaos instance's servers (never the shared stack: the state dir is the chaos one). */
export async function chaosStackDown(): Promise<void> {
  if (!chaosInstanceSelected())
    throw new StackError('refusing to stop a stack that is not the chaos instance');
  await stackDown();
}

/** The chaos instance's servers, the run's Prometheus and Alertmanager first: what a forced stop kills. */
const CHAOS_DAEMONS = [
  'alertmanager',
  'prometheus',
  'temporal-ui',
  'temporal',
  'kafka',
  'pgbouncer',
  'postgres',
] as const;

/** Second Ctrl-C: no clean shutdown, but never leave the chaos instance's servers behind. */
export async function chaosStackKill(): Promise<void> {
  if (!chaosInstanceSelected()) return;
  for (const server of CHAOS_DAEMONS) await killDaemon(server);
}

/** The same from a process 'exit' handler, where nothing asynchronous runs any more. */
export function chaosStackKillSync(): void {
  if (!chaosInstanceSelected()) return;
  for (const server of CHAOS_DAEMONS) {
    const pid = daemonPid(server);
    if (pid === undefined) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function postmasterPid(): number | undefined {
  try {
    const pid = Number(readFileSync(join(postgresDataDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signals a daemon's process group and waits for it to exit. */
async function signalAndWait(name: string, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  const pid = daemonPid(name);
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    process.kill(pid, signal);
  }
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) await killDaemon(name);
}

/** Stops one server: a crash (SIGKILL of its process group) or its clean shutdown. */
export async function stopServer(server: 'kafka' | 'postgres' | 'temporal', hard: boolean): Promise<void> {
  if (hard) {
    // The pid file holds runuser's pid (as root); the postmaster under it may still be exiting, and a
    // new one refuses to start while it is ("postmaster.pid already exists"): wait for it too.
    const postmaster = server === 'postgres' ? postmasterPid() : undefined;
    await killDaemon(server);
    while (postmaster !== undefined && isAlive(postmaster)) await sleep(100);
    return;
  }
  switch (server) {
    case 'kafka':
      await kafkaDown();
      return;
    case 'temporal':
      await temporalDown();
      return;
    case 'postgres':
      // SIGINT is Postgres' "fast" shutdown; its SIGTERM ("smart") would wait for every client to leave.
      await signalAndWait('postgres', 'SIGINT', 30_000);
      await stopDaemon('postgres', 0);
      return;
  }
}

export async function startServer(
  server: 'kafka' | 'postgres' | 'temporal',
  config: StackConfig,
): Promise<void> {
  switch (server) {
    case 'kafka':
      return kafkaUp(config);
    case 'postgres':
      return postgresUp(config);
    case 'temporal':
      await temporalUp(config);
      return;
  }
}

export function serverRunning(server: 'kafka' | 'postgres' | 'temporal'): boolean {
  return daemonPid(server) !== undefined;
}
