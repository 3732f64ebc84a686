/**
 * Test fixtures on the real local servers: each test gets its own Postgres database, Kafka topics,
 * consumer group and Temporal task queue, so tests run side by side and leave each other alone.
 * Here, in a source folder, because scripts/record-histories.ts uses them too.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import '../../workers/lib/kafkajs-producer-grouping.js';
import { Kafka } from 'kafkajs';
import pg from 'pg';
import {
  kafkaClientConfig,
  LOCAL_KAFKA_SASL_MECHANISM,
  LOCAL_KAFKA_USERS,
  loadStackConfig,
  type KafkaPrincipal,
  type StackEndpoints,
} from '../config.js';
import { directDatabaseUrl, migratePipelineDatabase, pipelineDatabaseUrl } from '../pipeline-processes.js';
import { psql } from '../postgres.js';
import { stackUp } from '../stack.js';
import { ensureTopics, pipelineTopicSpecs } from '../topics.js';
import { prefixedTopics } from '../../workers/shared/topics.js';
import type { BridgeConfig, TopicNames, WorkerConfig } from '../../workers/config.js';
import { memoryBudget } from '../../workers/lib/memory-budget.js';
import { dataConverter } from '../../workers/lib/payload-codec.js';
import { DEFAULT_ALERT_RULES } from '../../workers/shared/alert-rules.js';
import { TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';

let endpoints: Promise<StackEndpoints> | undefined;

/** The local stack's endpoints; brings it up if needed (a no-op taking ~1 s when it runs). */
export function stack(): Promise<StackEndpoints> {
  endpoints ??= stackUp(loadStackConfig());
  return endpoints;
}

export function uniqueId(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface TestDatabase {
  /** The worker's role through the pooler in transaction mode: what the workers use, as in the cluster. */
  readonly url: string;
  /** The owner straight to Postgres: the test's own reads and schema changes. */
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

/**
 * A fresh database owned by the app role and migrated through the pooler as the chart's init
 * container migrates it; `url` is the worker's own role (DML only), `pool` the owner's.
 */
export async function testDatabase(ep: StackEndpoints, id: string): Promise<TestDatabase> {
  const name = `t_${id.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
  const config = loadStackConfig();
  await psql(config, `CREATE DATABASE ${name} OWNER sensor_app`);
  const url = pipelineDatabaseUrl(ep, name);
  const pool = new pg.Pool({ connectionString: directDatabaseUrl(ep, name), max: 4 });
  // An idle connection ended by the server (the drop below, a Postgres restart in a test) is not
  // a test failure; the test's own queries still fail on their errors.
  pool.on('error', () => undefined);
  await migratePipelineDatabase(ep, name);
  return {
    url,
    pool,
    drop: async () => {
      await pool.end();
      await psql(config, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

export async function testTopics(
  ep: StackEndpoints,
  id: string,
  sensorDataPartitions = 3,
): Promise<TopicNames> {
  const topics: TopicNames = prefixedTopics(id);
  await ensureTopics(ep.kafkaBrokers, pipelineTopicSpecs(topics, sensorDataPartitions));
  return topics;
}

export function testKafka(ep: StackEndpoints): Kafka {
  return new Kafka(kafkaClientConfig(ep, 'tests'));
}

export async function testTemporal(ep: StackEndpoints): Promise<{ client: Client; close(): Promise<void> }> {
  const connection = await Connection.connect({ address: ep.temporalAddress });
  return {
    client: new Client({ connection, namespace: TEMPORAL_NAMESPACE, dataConverter }),
    close: () => connection.close(),
  };
}

function common(ep: StackEndpoints, id: string, topics: TopicNames, principal: KafkaPrincipal) {
  return {
    kafka: {
      brokers: ep.kafkaBrokers,
      clientId: id,
      ssl: false,
      sasl: { mechanism: LOCAL_KAFKA_SASL_MECHANISM, ...LOCAL_KAFKA_USERS[principal] },
      compression: 'lz4' as const,
    },
    temporal: { address: ep.temporalAddress, namespace: TEMPORAL_NAMESPACE, taskQueue: `${id}-queue` },
    topics,
    metricsPort: 0,
    logLevel: 'info' as const,
    memory: memoryBudget(),
  };
}

export function testBridgeConfig(
  ep: StackEndpoints,
  id: string,
  topics: TopicNames,
  overrides: Partial<BridgeConfig> = {},
): BridgeConfig {
  return {
    ...common(ep, id, topics, 'bridge'),
    consumerGroup: `${id}-bridge`,
    maxBatchEvents: 200,
    maxBatchWaitMs: 100,
    maxOpenBatches: 1000,
    partitionsConsumedConcurrently: 3,
    sessionTimeoutMs: 6000,
    rules: DEFAULT_ALERT_RULES,
    maxEventAgeMs: 24 * 3600_000,
    maxClockSkewMs: 60_000,
    ...overrides,
  };
}

export function testWorkerConfig(
  ep: StackEndpoints,
  id: string,
  topics: TopicNames,
  databaseUrl: string,
  overrides: Partial<WorkerConfig> = {},
): WorkerConfig {
  return {
    ...common(ep, id, topics, 'worker'),
    databaseUrl,
    databasePoolSize: 4,
    escalation: { tiersMs: [60_000] },
    maxConcurrentWorkflowTasks: 20,
    maxConcurrentLocalActivities: 10,
    alertVersioning: 'AUTO_UPGRADE',
    promoteOnStart: false,
    ...overrides,
  };
}

/** Environment for a bridge or worker child process bound to this test's resources. */
export function testProcessEnv(
  ep: StackEndpoints,
  id: string,
  topics: TopicNames,
  databaseUrl: string,
): Record<string, string> {
  return {
    KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    TEMPORAL_ADDRESS: ep.temporalAddress,
    TEMPORAL_TASK_QUEUE: `${id}-queue`,
    BRIDGE_CONSUMER_GROUP: `${id}-bridge`,
    BRIDGE_MAX_BATCH_EVENTS: '200',
    BRIDGE_MAX_BATCH_WAIT_MS: '100',
    DATABASE_URL: databaseUrl,
    // Each test has its own task queue: a schedule per test would outlive it (the ledger retention
    // schedule has its own test, tests/workers/worker/ledger-retention.test.ts).
    LEDGER_RETENTION_MS: '0',
    TOPIC_SENSOR_DATA: topics.sensorData,
    TOPIC_PROCESSED: topics.processed,
    TOPIC_ALERTS: topics.alerts,
    TOPIC_DEAD_LETTER: topics.deadLetter,
    TOPIC_PARKING: topics.parking,
    LOG_LEVEL: 'info',
  };
}

/** Polls until `probe` is true or fails the test with `what` after the timeout. */
export async function eventually(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for: ${what}`);
}
