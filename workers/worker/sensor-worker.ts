/**
 * Builds the Temporal workers, one on the pipeline's task queue and one on its alert task queue, with
 * their real dependencies: a pg pool, an idempotent kafkajs producer and a Temporal client for
 * signal-with-start. Used by main.ts, `npm run local` and the tests.
 */
import { DefaultLogger, Runtime, NativeConnection, Worker } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import type { Kafka, Producer } from 'kafkajs';
import pg from 'pg';
import {
  DEFAULT_ALERT_SIGNAL_CONCURRENCY,
  DEFAULT_ALERT_WORKER_SLOTS,
  type WorkerConfig,
} from '../config.js';
import { createActivities } from '../activities/index.js';
import { assertMigrated } from '../db/migrate.js';
import { KafkaRangeReader } from '../lib/kafka-range-reader.js';
import { MemoryGate } from '../lib/memory-budget.js';
import { dataConverter } from '../lib/payload-codec.js';
import { temporalTls } from '../lib/temporal-client.js';
import { alertTaskQueue } from '../shared/temporal.js';
import type { Logger } from '../lib/logger.js';
import { keepLedgerRetentionSchedule } from './ledger-retention-schedule.js';
import { deploymentVersion, setCurrentVersion, versioningOptions } from './versioning.js';
import type { WorkerMetrics } from './worker-metrics.js';
import { workerWorkflowCode } from './workflow-bundle.js';
import { openAlertCounts } from './open-alerts.js';
import { postgresPoolOptions } from '../db/pool-options.js';

let runtimeInstalled = false;

/**
 * Once per process: the SDK logs every worker state change at INFO (our own logs say what matters),
 * and exports its metrics (the schedule-to-start latency that the alert rules watch) when a port is set.
 */
function installRuntime(sdkMetricsPort: number | undefined): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: sdkMetricsPort
      ? { metrics: { prometheus: { bindAddress: `0.0.0.0:${sdkMetricsPort}` } } }
      : undefined,
  });
}

export interface SensorWorkerDeps {
  readonly config: WorkerConfig;
  readonly kafka: Kafka;
  readonly client: Client;
  readonly log: Logger;
  readonly metrics?: WorkerMetrics;
  /** Another workflows module than workers/workflows (tests: a build whose workflow code differs). */
  readonly workflowsPath?: string;
}

export interface RunningWorker {
  readonly worker: Worker;
  readonly pool: pg.Pool;
  readonly producer: Producer;
  /** Resolves when the worker has shut down (after shutdown() or a fatal error). */
  readonly done: Promise<void>;
  shutdown(): Promise<void>;
}

export async function startSensorWorker(deps: SensorWorkerDeps): Promise<RunningWorker> {
  const { config, kafka, client, log, metrics } = deps;
  const versioning = versioningOptions(config);
  const workflowCode = await workerWorkflowCode(config.workflowBundlePath, deps.workflowsPath);
  installRuntime(config.sdkMetricsPort);
  const pool = new pg.Pool(postgresPoolOptions(config, config.databasePoolSize));
  pool.on('error', (err) => log.warn('idle database connection failed', { error: err.message }));
  // The pool listens for errors only on idle clients: a checked-out client between two queries that
  // Postgres terminates (restart, failover) emitted an unhandled 'error' and killed the worker (found
  // by the chaos run). Its next query fails instead, the activity retries, the pool drops the client.
  pool.on('connect', (client) =>
    client.on('error', (err) => log.warn('database connection lost', { error: err.message })),
  );
  // The owner migrated before this process started (the chart's init container): the worker's role
  // has no DDL, so it only checks that the schema is its build's.
  await assertMigrated(pool);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  let processedPartitions: number | undefined;
  const rangeReader = new KafkaRangeReader(kafka, { shortReadWaitMs: config.rangeReadWaitMs });
  const activities = createActivities({
    pool,
    producer,
    rangeReader,
    temporal: client,
    taskQueue: config.temporal.taskQueue,
    topics: config.topics,
    escalation: config.escalation,
    alertSignalConcurrency: config.alertSignalConcurrency ?? DEFAULT_ALERT_SIGNAL_CONCURRENCY,
    authorizationRetryMs: config.authorizationRetryMs,
    rangeMemory: new MemoryGate(config.memory.rangesInFlightBytes),
    processedPartitions: async () => {
      if (processedPartitions === undefined) {
        const meta = await admin.fetchTopicMetadata({ topics: [config.topics.processed] });
        processedPartitions = meta.topics[0]?.partitions.length ?? 1;
      }
      return processedPartitions;
    },
    observeLatency: metrics
      ? (seconds) => {
          metrics.eventsProcessed.inc();
          metrics.endToEndLatency.observe(seconds);
        }
      : undefined,
    onDeadLettered: (stage, count) => metrics?.deadLettered.inc({ stage }, count),
    onParked: (reason, events) => {
      metrics?.batchesParked.inc({ reason });
      if (events > 0) metrics?.eventsParked.inc(events);
      log.warn('batch parked', { reason, events });
    },
    onRangeAge: (seconds) => metrics?.rangeReadAge.observe(seconds),
    onDuplicates: (count) => metrics?.duplicatesSkipped.inc(count),
    onAlertTransition: (transition) => metrics?.alertTransitions.inc({ transition }),
    alertmanagerUrl: config.alertmanagerUrl,
  });
  metrics?.countOpenAlertsWith(() => openAlertCounts(pool));
  const connection = await NativeConnection.connect({
    address: config.temporal.address,
    tls: temporalTls(config.temporal),
  });
  const worker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    workflowBundle: workflowCode,
    ...versioning,
    activities,
    dataConverter,
    maxConcurrentWorkflowTaskExecutions: config.maxConcurrentWorkflowTasks,
    maxConcurrentLocalActivityExecutions: config.maxConcurrentLocalActivities,
    maxCachedWorkflows: 2000,
    shutdownGraceTime: '20s',
  });
  // Alert workflows on their own queue, with slots of their own: a storm of them neither queues in
  // front of the batches nor takes more of the process than these slots (docs/reliability.md).
  const alertSlots = config.alertWorkerSlots ?? DEFAULT_ALERT_WORKER_SLOTS;
  const alertWorker = await Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: alertTaskQueue(config.temporal.taskQueue),
    workflowBundle: workflowCode,
    ...versioning,
    activities,
    dataConverter,
    maxConcurrentWorkflowTaskExecutions: alertSlots,
    maxConcurrentLocalActivityExecutions: alertSlots,
    maxConcurrentActivityTaskExecutions: alertSlots,
    maxCachedWorkflows: 2000,
    shutdownGraceTime: '20s',
  });
  const stopBoth = () => {
    for (const w of [worker, alertWorker]) if (w.getState() === 'RUNNING') w.shutdown();
  };
  const stopSchedule = new AbortController();
  const schedule = config.ledgerRetention
    ? keepLedgerRetentionSchedule(
        client,
        config.temporal.taskQueue,
        config.ledgerRetention,
        log,
        stopSchedule.signal,
      )
    : Promise.resolve();
  // Either worker ending (shutdown or a fatal error) ends both, and the process with them.
  const runs = [worker, alertWorker].map((w) => w.run().finally(stopBoth));
  const version = deploymentVersion(config);
  if (version && config.promoteOnStart) {
    // The chart's one Deployment replaces every pod at a rollout: the newest build started is the
    // current one (decision 0012). Retried until this build's pollers are seen by the server.
    void setCurrentVersion(client, version, { waitMs: 300_000, identity: `worker-${version.buildId}` }).then(
      ({ previousBuildId }) =>
        log.info('worker version current', { buildId: version.buildId, previousBuildId }),
      (err: unknown) =>
        log.error('could not make this worker version current', {
          buildId: version.buildId,
          error: (err as Error).message,
        }),
    );
  }
  const done = Promise.allSettled(runs)
    .then((results) => {
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    })
    .finally(async () => {
      stopSchedule.abort();
      await schedule;
      await admin.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await rangeReader.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
      await connection.close().catch(() => undefined);
    });
  return {
    worker,
    pool,
    producer,
    done,
    shutdown: async () => {
      stopBoth();
      await done;
    },
  };
}
