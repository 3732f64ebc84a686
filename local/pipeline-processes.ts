/**
 * Runs the deployable processes (bridge, worker) as child processes of `npm run local`, the tests and
 * the bench, exactly as the charts run them: same entry points, configured by environment variables.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { kafkaSaslEnv, type StackEndpoints } from './config.js';
import { LOCAL_RUNTIME_ROLE } from './postgres.js';
import { logDir, repoRoot } from './lib/paths.js';
import { SHARED_PIPELINE_NAMES } from './pipeline-names.js';
import { tailFile } from './lib/proc.js';
import { workflowBundlePath } from './workflow-bundle-cache.js';
import { migrate } from '../workers/db/migrate.js';
import { DEFAULT_MEMORY_LIMIT_BYTES, nodeMemoryFlags } from '../workers/lib/memory-budget.js';

export type PipelineRole = 'bridge' | 'worker';

export interface PipelineProcess {
  readonly role: PipelineRole;
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  readonly exited: Promise<number | null>;
  readonly metricsPort: number;
}

const ENTRY: Record<PipelineRole, string> = {
  bridge: join(repoRoot, 'workers', 'bridge', 'main.ts'),
  worker: join(repoRoot, 'workers', 'worker', 'main.ts'),
};

/**
 * The worker's connection string to one of the local stack's databases: its own role (DML only),
 * through the pooler in transaction mode as in the cluster (local/pgbouncer.ts).
 */
export function pipelineDatabaseUrl(ep: StackEndpoints, database = SHARED_PIPELINE_NAMES.database): string {
  const { name, password } = LOCAL_RUNTIME_ROLE;
  return `postgres://${name}:${password}@${ep.postgresPooler.host}:${ep.postgresPooler.port}/${database}`;
}

/** As the database's owner, through the pooler: what the chart's migrate init container uses. */
export function ownerDatabaseUrl(ep: StackEndpoints, database = SHARED_PIPELINE_NAMES.database): string {
  return `postgres://sensor_app:sensor_app@${ep.postgresPooler.host}:${ep.postgresPooler.port}/${database}`;
}

/** As the owner without the pooler: for checks that read what the pipeline wrote, and schema changes. */
export function directDatabaseUrl(ep: StackEndpoints, database = SHARED_PIPELINE_NAMES.database): string {
  return `postgres://sensor_app:sensor_app@${ep.postgres.host}:${ep.postgres.port}/${database}`;
}

/**
 * The migration step before the workers start, as the chart's init container runs it: as the owner,
 * granting the worker's role its DML (workers/db/migrate.ts).
 */
export async function migratePipelineDatabase(
  ep: StackEndpoints,
  database = SHARED_PIPELINE_NAMES.database,
): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: ownerDatabaseUrl(ep, database), max: 1 });
  try {
    return await migrate(pool, { runtimeRole: LOCAL_RUNTIME_ROLE.name });
  } finally {
    await pool.end();
  }
}

/** Environment that points a pipeline process at the local stack. */
export function pipelineEnv(ep: StackEndpoints, extra: Record<string, string> = {}): Record<string, string> {
  return {
    KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    TEMPORAL_ADDRESS: ep.temporalAddress,
    DATABASE_URL: pipelineDatabaseUrl(ep),
    ...extra,
  };
}

/**
 * Node flags of the bridge and worker, here as in the container image (Dockerfile NODE_OPTIONS).
 * A 32 MB semi-space: Node (since 24) sizes the young generation from the machine's memory (about 200 MB
 * more RSS per process here); 16 MB, Node 20's size, cost the workers 23 % more CPU in garbage
 * collection and 32 MB kept the same CPU as the default at 100 MB less (BENCHMARKS.md, 2026-12-01).
 */
export const PIPELINE_NODE_FLAGS = ['--max-semi-space-size=32'] as const;

export function startPipelineProcess(
  role: PipelineRole,
  name: string,
  env: Record<string, string>,
  metricsPort: number,
  /** Extra Node flags, e.g. the bench's --cpu-prof (not allowed in NODE_OPTIONS). */
  nodeArgs: readonly string[] = [],
): PipelineProcess {
  mkdirSync(logDir(), { recursive: true });
  const logFile = join(logDir(), `${name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  // The charts' memory limit unless one is given, and Node's heap from it, as the charts derive it.
  const limit =
    env.MEMORY_LIMIT_BYTES ?? process.env.MEMORY_LIMIT_BYTES ?? String(DEFAULT_MEMORY_LIMIT_BYTES);
  const memoryFlags = nodeMemoryFlags(Number(limit));
  // The worker loads a prebuilt workflow bundle, as from the image, unless the caller names one.
  const bundle =
    role === 'worker' && !env.WORKFLOW_BUNDLE_PATH ? { WORKFLOW_BUNDLE_PATH: workflowBundlePath() } : {};
  const child = spawn(
    process.execPath,
    [...PIPELINE_NODE_FLAGS, ...memoryFlags, ...nodeArgs, '--import', 'tsx', ENTRY[role]],
    {
      cwd: repoRoot,
      // Each role logs in to Kafka as its own SCRAM user, as in the cluster.
      env: {
        ...process.env,
        ...kafkaSaslEnv(role),
        ...bundle,
        ...env,
        MEMORY_LIMIT_BYTES: limit,
        METRICS_PORT: String(metricsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only the run, which drains, then stops
      // its processes in order (a Ctrl-C that reached them too stopped them before the drain).
      detached: true,
    },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { role, name, child, logFile, exited, metricsPort };
}

/** Waits for /readyz to answer 200; fails with the log's tail if the process dies first. */
export async function waitReady(p: PipelineProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void p.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline) {
    if (exitCode !== undefined)
      throw new Error(`${p.name} exited with ${exitCode}:\n${tailFile(p.logFile, 30)}`);
    try {
      const res = await fetch(`http://127.0.0.1:${p.metricsPort}/readyz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(250);
  }
  throw new Error(`${p.name} not ready after ${timeoutMs / 1000} s:\n${tailFile(p.logFile, 30)}`);
}

/** SIGTERM (the Kubernetes way) and wait; SIGKILL after the grace period. */
export async function stopPipelineProcess(p: PipelineProcess, graceMs = 30_000): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return p.child.exitCode;
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
  const code = await p.exited;
  clearTimeout(timer);
  return code;
}

/** Reads one counter or gauge (summed over labels) from a process's /metrics. */
export async function scrapeMetric(p: PipelineProcess, metric: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`);
    const text = await res.text();
    let sum = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith(`${metric} `) || line.startsWith(`${metric}{`))
        sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    return sum;
  } catch {
    return 0;
  }
}
