/**
 * The local stack as one unit: Postgres, then Kafka, then Temporal (which needs Postgres), each
 * reused when already running. Used by `npm run stack:*`, `npm run local`, the tests and the bench.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { endpoints, loadStackConfig, type StackConfig, type StackEndpoints } from './config.js';
import { kafkaDown, kafkaStatus, kafkaStorageOutdated, kafkaUp } from './kafka.js';
import { stateDir } from './lib/paths.js';
import { isAlive } from './lib/proc.js';
import {
  ensureDatabases,
  LOCAL_DATABASES,
  postgresDataDir,
  postgresDown,
  postgresStatus,
  postgresUp,
  psql,
} from './postgres.js';
import { pgbouncerConfigDir, pgbouncerDown, pgbouncerStatus, pgbouncerUp } from './pgbouncer.js';
import { prometheusDown } from './prometheus.js';
import { alertmanagerDown } from './alertmanager.js';
import { progress } from './progress.js';
import { temporalDown, temporalStatus, temporalUp } from './temporal.js';
import { temporalUiDown, temporalUiStatus, temporalUiUp } from './temporal-ui.js';
import { ensurePipelineTopics } from './topics.js';

/** Serialises stack changes between processes (tests, `npm run local`) with an atomic mkdir. */
async function withStackLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = join(stateDir(), 'stack.lock');
  mkdirSync(stateDir(), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(lock);
      mkdirSync(join(lock, String(process.pid)));
      break;
    } catch {
      const holder = Number(readdirSync(lock)[0]);
      if (Number.isFinite(holder) && !isAlive(holder)) rmSync(lock, { recursive: true, force: true });
      if (waited % 10_000 === 0 && waited > 0) progress('waiting for another stack:up to finish');
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export async function stackUp(config: StackConfig = loadStackConfig()): Promise<StackEndpoints> {
  const started = Date.now();
  await withStackLock(async () => {
    await postgresUp(config);
    await pgbouncerUp(config);
    if (kafkaStorageOutdated()) await discardPipelineState(config);
    await kafkaUp(config);
    await temporalUp(config);
    await temporalUiUp(config);
  });
  const ep = endpoints(config);
  await ensurePipelineTopics(ep.kafkaBrokers);
  progress(
    `up in ${((Date.now() - started) / 1000).toFixed(1)} s: kafka ${ep.kafkaBrokers.join(',')}, temporal ${ep.temporalAddress} (UI ${ep.temporalUiUrl}), postgres ${ep.postgres.host}:${ep.postgres.port} (pooler ${ep.postgresPooler.port})`,
  );
  return ep;
}

/**
 * Kafka's storage is about to be formatted again, so every offset restarts at 0. Batch workflow IDs
 * and the ledger are keyed by offsets and event IDs of the old log: the bridge would survive it (a
 * collision with a run for another record starts a run of its own, decision 0002), but every batch
 * would collide first and the ledger would describe a log that is gone. Local data only, so all of
 * it goes together.
 */
async function discardPipelineState(config: StackConfig): Promise<void> {
  progress(
    'local stack: Kafka storage must be formatted again; discarding Temporal and pipeline data with it',
  );
  await temporalDown();
  await kafkaDown();
  for (const db of LOCAL_DATABASES) await psql(config, `DROP DATABASE IF EXISTS ${db.name} WITH (FORCE)`);
  await ensureDatabases(config, LOCAL_DATABASES);
}

export async function stackDown(): Promise<void> {
  await withStackLock(async () => {
    // A run's Prometheus, if the run died before stopping it.
    if (await prometheusDown()) progress('prometheus: stopped (left behind by a run)');
    if (await alertmanagerDown()) progress('alertmanager: stopped (left behind by a run)');
    // Reverse order: Temporal first so that it does not log a storm of Postgres errors.
    for (const [name, down] of [
      ['temporal-ui', temporalUiDown],
      ['temporal', temporalDown],
      ['kafka', kafkaDown],
      ['pgbouncer', pgbouncerDown],
      ['postgres', postgresDown],
    ] as const) {
      progress(`${name}: ${(await down()) ? 'stopped' : 'was not running'}`);
    }
  });
}

/**
 * Stops the servers and deletes what they keep outside the checkout (as root, Postgres's data and
 * PgBouncer's files live in /var/tmp, named after the checkout): for a checkout that is thrown away
 * next, as CI's clean clones are, whose data would otherwise stay behind, about 1 GB each.
 */
export async function stackPurge(): Promise<void> {
  await stackDown();
  for (const dir of [postgresDataDir(), pgbouncerConfigDir()]) {
    rmSync(dir, { recursive: true, force: true });
    progress(`deleted ${dir}`);
  }
}

export function stackStatus(config: StackConfig = loadStackConfig()): Record<string, string> {
  return {
    postgres: postgresStatus(config),
    pgbouncer: pgbouncerStatus(config),
    kafka: kafkaStatus(config),
    temporal: temporalStatus(config),
    'temporal-ui': temporalUiStatus(config),
  };
}
