/**
 * Runtime configuration of the bridge and the worker: the only reader of process.env in workers/.
 * Every value is validated here and named by its variable in the error, so a bad deployment fails
 * at start with a precise message instead of misbehaving later.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_ALERT_RULES,
  DEFAULT_ESCALATION,
  type AlertRule,
  type EscalationPolicy,
} from './shared/alert-rules.js';
import { READING_NAMES } from './shared/events.js';
import { METRICS_PORTS } from './shared/metrics.js';
import { DEFAULT_AUTHORIZATION_RETRY_MS, TASK_QUEUE, TEMPORAL_NAMESPACE } from './shared/temporal.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from './shared/topics.js';
import { readCredentialFile } from './lib/credential-file.js';
import { PRODUCER_CODECS, type ProducerCodec } from './lib/kafka-codecs.js';
import { LOG_LEVELS, type Level } from './lib/logger.js';
import type { TlsReloadSettings } from './lib/tls-reload.js';
import {
  DEFAULT_MEMORY_LIMIT_BYTES,
  memoryBudget,
  MIN_MEMORY_LIMIT_BYTES,
  type MemoryBudget,
} from './lib/memory-budget.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The consumer Secret of a Postgres role, mounted as files (keys host, port, dbname, username, password, sslmode). */
export interface DatabaseCredentials {
  readonly dir: string;
  readonly sslMode: 'disable' | 'verify-full';
  /** CA file for verify-full (DATABASE_SSL_ROOT_CERT). */
  readonly sslRootCert?: string;
}

export type TopicNames = { readonly [K in keyof typeof TOPICS]: string };

export interface KafkaSettings {
  readonly brokers: string[];
  readonly clientId: string;
  readonly sasl?: {
    readonly mechanism: 'scram-sha-512' | 'scram-sha-256' | 'plain';
    readonly username: string;
    /** The password itself (KAFKA_SASL_PASSWORD), or … */
    readonly password?: string;
    /** … a file holding it, read at each connection's authentication (KAFKA_SASL_PASSWORD_FILE). */
    readonly passwordFile?: string;
  };
  readonly ssl: boolean;
  /** PEM of the CA that signed the brokers' certificate (KAFKA_SSL_CA_PATH); system CAs when unset. */
  readonly sslCa?: string;
  /** Codec of every record batch this process produces (KAFKA_COMPRESSION); reading takes any. */
  readonly compression: ProducerCodec;
}

/** TLS to the Temporal frontend; a client certificate makes it mutual TLS. */
export interface TemporalTlsSettings {
  /** PEM of the CA that signed the frontend's certificate; system CAs when unset. */
  readonly ca?: Buffer;
  readonly clientCert?: { readonly crt: Buffer; readonly key: Buffer };
  /** Name expected in the frontend's certificate when it differs from the address's host. */
  readonly serverName?: string;
}

export interface TemporalSettings {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Plaintext when unset. */
  readonly tls?: TemporalTlsSettings;
}

export interface CommonConfig {
  readonly kafka: KafkaSettings;
  readonly temporal: TemporalSettings;
  readonly topics: TopicNames;
  readonly metricsPort: number;
  /** Lowest level logged (LOG_LEVEL). */
  readonly logLevel: Level;
  /** Fetch sizes, decode bounds and work in flight, from the pod's limit (MEMORY_LIMIT_BYTES). */
  readonly memory: MemoryBudget;
  /** Restart on renewed TLS material (workers/lib/tls-reload.ts); undefined without TLS files. */
  readonly tlsReload?: TlsReloadSettings;
}

export interface BridgeConfig extends CommonConfig {
  readonly consumerGroup: string;
  /** Upper bound of events per batch workflow. */
  readonly maxBatchEvents: number;
  /** How long the broker may hold a fetch to fill it (the time bound of a batch), ms. */
  readonly maxBatchWaitMs: number;
  /** Pause consumption while this many batch workflows are open; resume below 3/4 of it. */
  readonly maxOpenBatches: number;
  readonly partitionsConsumedConcurrently: number;
  /**
   * How long the group waits for a silent member (a crashed bridge) before its partitions move, ms.
   * Kafka's floor (group.min.session.timeout.ms) is 6 s by default; the bridge heartbeats every 1/6.
   */
  readonly sessionTimeoutMs: number;
  readonly rules: readonly AlertRule[];
  readonly maxEventAgeMs: number;
  readonly maxClockSkewMs: number;
  /** Fault injection for the exactly-once tests: 'crash-before-commit' SIGKILLs the bridge after its first starts. */
  readonly failpoint?: 'crash-before-commit';
}

/**
 * Pruning of the processed_events ledger, the duplicate window of invariant 5 (decision 0007), and
 * of the batch records, the audit window (decision 0117).
 */
export interface LedgerRetention {
  /** Ledger rows whose event time is older than this are dropped with their partition. */
  readonly retentionMs: number;
  /** Batch records applied longer ago than this are deleted: at least `retentionMs`. */
  readonly auditRetentionMs: number;
  /** How often the Temporal Schedule runs the pruning workflow. */
  readonly intervalMs: number;
}

export interface WorkerConfig extends CommonConfig {
  /** Undefined: the ledger is never pruned (LEDGER_RETENTION_MS=0). */
  readonly ledgerRetention?: LedgerRetention;
  /** Postgres by URL (DATABASE_URL), unless `databaseCredentials` is set. */
  readonly databaseUrl: string;
  /** Postgres from a mounted Secret (DATABASE_CREDENTIALS_DIR): workers/db/pool-options.ts. */
  readonly databaseCredentials?: DatabaseCredentials;
  readonly databasePoolSize: number;
  readonly escalation: EscalationPolicy;
  readonly maxConcurrentWorkflowTasks: number;
  readonly maxConcurrentLocalActivities: number;
  /**
   * Alert signals in flight at once in this process, shared by every batch (ALERT_SIGNAL_CONCURRENCY).
   * Unset: DEFAULT_ALERT_SIGNAL_CONCURRENCY.
   */
  readonly alertSignalConcurrency?: number;
  /**
   * How long a batch whose effects Postgres or Kafka refuse for authorization (a revoked grant, an ACL
   * or a rotated password not yet in place) is retried before it is parked (AUTHORIZATION_RETRY_MS).
   * Unset: DEFAULT_AUTHORIZATION_RETRY_MS.
   */
  readonly authorizationRetryMs?: number;
  /**
   * Workflow tasks, and local activities, in flight at once on the alert task queue
   * (ALERT_WORKER_SLOTS): the share of the worker an alert storm can take. Unset: DEFAULT_ALERT_WORKER_SLOTS.
   */
  readonly alertWorkerSlots?: number;
  /**
   * How long a batch's range read waits for a log that ends before the range's last offset (a new
   * partition leader's high watermark behind what the bridge saw) before the claim is judged, ms
   * (RANGE_READ_WAIT_MS). Unset: the reader's default, 30 s.
   */
  readonly rangeReadWaitMs?: number;
  /** Port of the Temporal SDK's Prometheus exporter (schedule-to-start latency etc.); off when unset. */
  readonly sdkMetricsPort?: number;
  /**
   * Alertmanager's base URL (ALERTMANAGER_URL): device-alert transitions are posted there, routed by
   * tier to people (stacks/observability/alert-routing.ts). Unset: only the alerts topic hears them.
   */
  readonly alertmanagerUrl?: string;
  /**
   * The workflow bundle built with the image (WORKFLOW_BUNDLE_PATH, worker/workflow-bundle.ts). Unset:
   * the worker bundles its workflows at start, and keeps webpack's memory.
   */
  readonly workflowBundlePath?: string;
  /** Worker versioning: the build that this process runs (see charts/sensor-worker). */
  readonly buildId?: string;
  readonly deploymentName?: string;
  /**
   * How an alert workflow meets a new build (WORKER_ALERT_VERSIONING): PINNED keeps it on the build
   * that started it, which needs the old build's workers kept until its alerts end; AUTO_UPGRADE moves
   * it at its next task (docs/decisions/0012-worker-versioning.md). Unset: AUTO_UPGRADE.
   */
  readonly alertVersioning: 'PINNED' | 'AUTO_UPGRADE';
  /** A versioned worker makes its build current once it polls (WORKER_PROMOTE_ON_START). Unset: false. */
  readonly promoteOnStart: boolean;
}

type Env = NodeJS.ProcessEnv;

const DEFAULT_MAX_EVENT_AGE_MS = 7 * 24 * 3600_000;
export const DEFAULT_MAX_CLOCK_SKEW_MS = 5 * 60_000;

function str(env: Env, name: string, fallback?: string): string {
  const value = env[name];
  if (value !== undefined && value !== '') return value;
  if (fallback !== undefined) return fallback;
  throw new ConfigError(`${name} is required`);
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)}: expected an integer between ${min} and ${max}`);
  }
  return value;
}

/** An http(s) URL, as a base to resolve API paths against. */
function httpUrl(env: Env, name: string): string {
  const raw = str(env, name);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)}: expected an http(s) URL such as http://alertmanager:9093`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(
      `${name}=${JSON.stringify(raw)}: expected an http(s) URL such as http://alertmanager:9093`,
    );
  return raw;
}

function json<T>(env: Env, name: string, fallback: T, check: (value: unknown) => string | undefined): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new ConfigError(`${name}: not valid JSON (${(err as Error).message})`);
  }
  const problem = check(value);
  if (problem) throw new ConfigError(`${name}${problem}`);
  return value as T;
}

export function checkRules(value: unknown): string | undefined {
  if (!Array.isArray(value)) return ': expected an array of alert rules';
  const names = new Set<string>();
  for (const [i, rule] of value.entries()) {
    const r = rule as Partial<AlertRule>;
    const at = `[${i}]`;
    if (typeof r.name !== 'string' || !/^[a-z0-9-]{1,64}$/.test(r.name))
      return `${at}.name: expected 1-64 chars of a-z, 0-9, '-'`;
    if (names.has(r.name)) return `${at}.name: '${r.name}' is defined twice`;
    names.add(r.name);
    if (!READING_NAMES.includes(r.reading as never))
      return `${at}.reading: expected one of ${READING_NAMES.join(', ')}`;
    if (r.direction !== 'above' && r.direction !== 'below')
      return `${at}.direction: expected 'above' or 'below'`;
    if (typeof r.threshold !== 'number' || !Number.isFinite(r.threshold))
      return `${at}.threshold: expected a finite number`;
    if (typeof r.hysteresis !== 'number' || !(r.hysteresis >= 0))
      return `${at}.hysteresis: expected a number >= 0`;
  }
  return undefined;
}

function checkEscalation(value: unknown): string | undefined {
  const tiers = (value as Partial<EscalationPolicy> | null)?.tiersMs;
  if (!Array.isArray(tiers) || tiers.some((t) => !Number.isInteger(t) || t < 1)) {
    return '.tiersMs: expected an array of positive integers (milliseconds)';
  }
  return undefined;
}

/** Reads a PEM file named by `name`; a missing or unreadable file stops the process naming the variable. */
function pemFile(env: Env, name: string): Buffer | undefined {
  const path = env[name];
  if (path === undefined || path === '') return undefined;
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${name}=${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (!pem.toString('utf8').includes('-----BEGIN ')) throw new ConfigError(`${name}=${path}: not a PEM file`);
  return pem;
}

function temporalTls(env: Env): TemporalTlsSettings | undefined {
  const ca = pemFile(env, 'TEMPORAL_TLS_CA_PATH');
  const crt = pemFile(env, 'TEMPORAL_TLS_CERT_PATH');
  const key = pemFile(env, 'TEMPORAL_TLS_KEY_PATH');
  if (!crt !== !key) {
    throw new ConfigError(
      'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together: a client certificate needs its key',
    );
  }
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  if (!ca && !crt && !serverName) return undefined;
  return { ca, clientCert: crt && key ? { crt, key } : undefined, serverName };
}

function kafkaSettings(env: Env, clientId: string): KafkaSettings {
  const brokers = str(env, 'KAFKA_BROKERS', '127.0.0.1:19092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw new ConfigError(`KAFKA_BROKERS: '${b}' is not host:port`);
  }
  const username = env.KAFKA_SASL_USERNAME;
  const mechanism = str(env, 'KAFKA_SASL_MECHANISM', 'scram-sha-512').toLowerCase();
  if (!['scram-sha-512', 'scram-sha-256', 'plain'].includes(mechanism)) {
    throw new ConfigError(
      `KAFKA_SASL_MECHANISM=${mechanism}: expected scram-sha-512, scram-sha-256 or plain`,
    );
  }
  const ssl = str(env, 'KAFKA_SSL', 'false') === 'true';
  const sslCa = pemFile(env, 'KAFKA_SSL_CA_PATH');
  if (sslCa && !ssl) throw new ConfigError('KAFKA_SSL_CA_PATH is set but KAFKA_SSL is not true');
  // lz4 by default: the cheapest for this process and the broker alike (npm run bench:client).
  const compression = str(env, 'KAFKA_COMPRESSION', 'lz4') as ProducerCodec;
  if (!PRODUCER_CODECS.includes(compression))
    throw new ConfigError(`KAFKA_COMPRESSION=${compression}: expected ${PRODUCER_CODECS.join(', ')}`);
  return {
    compression,
    brokers,
    clientId: str(env, 'KAFKA_CLIENT_ID', clientId),
    ssl,
    sslCa: sslCa?.toString('utf8'),
    sasl: username ? { mechanism: mechanism as 'scram-sha-512', username, ...saslPassword(env) } : undefined,
  };
}

/** The SASL password: from a mounted Secret's file (re-read on rotation) or, locally, the variable. */
function saslPassword(env: Env): { password: string } | { passwordFile: string } {
  const file = env.KAFKA_SASL_PASSWORD_FILE;
  if (file && env.KAFKA_SASL_PASSWORD)
    throw new ConfigError('KAFKA_SASL_PASSWORD_FILE and KAFKA_SASL_PASSWORD are both set: set one');
  if (!file) return { password: str(env, 'KAFKA_SASL_PASSWORD') };
  if (!existsSync(file)) throw new ConfigError(`KAFKA_SASL_PASSWORD_FILE=${file}: no such file`);
  return { passwordFile: file };
}

/** DATABASE_CREDENTIALS_DIR: the mounted consumer Secret; every key the pool reads must be there. */
function databaseCredentials(env: Env): { databaseCredentials?: DatabaseCredentials } {
  const dir = env.DATABASE_CREDENTIALS_DIR;
  if (!dir) return {};
  if (env.DATABASE_URL)
    throw new ConfigError('DATABASE_CREDENTIALS_DIR and DATABASE_URL are both set: set one');
  const missing = ['host', 'port', 'dbname', 'username', 'password'].filter((k) => !existsSync(join(dir, k)));
  if (missing.length > 0)
    throw new ConfigError(`DATABASE_CREDENTIALS_DIR=${dir}: no ${missing.join(', ')} in it`);
  const sslMode = existsSync(join(dir, 'sslmode')) ? readCredentialFile(join(dir, 'sslmode')) : 'disable';
  if (sslMode !== 'disable' && sslMode !== 'verify-full')
    throw new ConfigError(`${join(dir, 'sslmode')} (${sslMode}): expected disable or verify-full`);
  const sslRootCert = env.DATABASE_SSL_ROOT_CERT || undefined;
  if (sslMode === 'verify-full' && (!sslRootCert || !existsSync(sslRootCert)))
    throw new ConfigError(
      `DATABASE_SSL_ROOT_CERT=${sslRootCert ?? ''}: sslmode verify-full needs the CA file that signed the server's certificate`,
    );
  return { databaseCredentials: { dir, sslMode, ...(sslRootCert ? { sslRootCert } : {}) } };
}

/** The TLS files this process reads at start, watched for renewal. */
const TLS_FILE_VARIABLES = [
  'TEMPORAL_TLS_CA_PATH',
  'TEMPORAL_TLS_CERT_PATH',
  'TEMPORAL_TLS_KEY_PATH',
  'KAFKA_SSL_CA_PATH',
] as const;

function tlsReload(env: Env): TlsReloadSettings | undefined {
  const files = TLS_FILE_VARIABLES.map((v) => env[v]).filter((f): f is string => !!f);
  if (files.length === 0) return undefined;
  return {
    files,
    checkMs: int(env, 'TLS_RELOAD_CHECK_MS', 30_000, 1000, 3600_000),
    jitterMs: int(env, 'TLS_RELOAD_JITTER_MS', 120_000, 0, 3600_000),
  };
}

function common(env: Env, clientId: string, defaultMetricsPort: number): CommonConfig {
  const reload = tlsReload(env);
  return {
    ...(reload ? { tlsReload: reload } : {}),
    kafka: kafkaSettings(env, clientId),
    temporal: {
      address: str(env, 'TEMPORAL_ADDRESS', '127.0.0.1:17233'),
      namespace: str(env, 'TEMPORAL_NAMESPACE', TEMPORAL_NAMESPACE),
      taskQueue: str(env, 'TEMPORAL_TASK_QUEUE', TASK_QUEUE),
      tls: temporalTls(env),
    },
    topics: {
      sensorData: str(env, 'TOPIC_SENSOR_DATA', TOPICS.sensorData),
      processed: str(env, 'TOPIC_PROCESSED', TOPICS.processed),
      alerts: str(env, 'TOPIC_ALERTS', TOPICS.alerts),
      deadLetter: str(env, 'TOPIC_DEAD_LETTER', TOPICS.deadLetter),
      parking: str(env, 'TOPIC_PARKING', TOPICS.parking),
    },
    metricsPort: int(env, 'METRICS_PORT', defaultMetricsPort, 0, 65535),
    logLevel: logLevel(env),
    memory: memoryBudget(
      int(
        env,
        'MEMORY_LIMIT_BYTES',
        DEFAULT_MEMORY_LIMIT_BYTES,
        MIN_MEMORY_LIMIT_BYTES,
        Number.MAX_SAFE_INTEGER,
      ),
    ),
  };
}

/** One of `allowed`, the first when unset. */
function oneOf<T extends string>(env: Env, name: string, allowed: readonly [T, ...T[]]): T {
  const value = str(env, name, allowed[0]);
  if (!(allowed as readonly string[]).includes(value))
    throw new ConfigError(`${name}=${value}: expected ${allowed.join(' or ')}`);
  return value as T;
}

function logLevel(env: Env): Level {
  const value = str(env, 'LOG_LEVEL', 'info') as Level;
  if (!LOG_LEVELS.includes(value))
    throw new ConfigError(`LOG_LEVEL=${value}: expected ${LOG_LEVELS.join(', ')}`);
  return value;
}

function failpoint(env: Env): BridgeConfig['failpoint'] {
  const value = env.BRIDGE_FAILPOINT;
  if (value === undefined || value === '') return undefined;
  if (value !== 'crash-before-commit')
    throw new ConfigError(`BRIDGE_FAILPOINT=${value}: expected 'crash-before-commit' or unset`);
  return value;
}

export function loadBridgeConfig(env: Env = process.env): BridgeConfig {
  return {
    ...common(env, 'ingest-bridge', METRICS_PORTS.bridge),
    consumerGroup: str(env, 'BRIDGE_CONSUMER_GROUP', BRIDGE_CONSUMER_GROUP),
    maxBatchEvents: int(env, 'BRIDGE_MAX_BATCH_EVENTS', 10_000, 1, 50_000),
    maxBatchWaitMs: int(env, 'BRIDGE_MAX_BATCH_WAIT_MS', 1000, 1, 60_000),
    maxOpenBatches: int(env, 'BRIDGE_MAX_OPEN_BATCHES', 200, 1, 1_000_000),
    partitionsConsumedConcurrently: int(env, 'BRIDGE_PARTITIONS_CONCURRENCY', 6, 1, 1024),
    sessionTimeoutMs: int(env, 'BRIDGE_SESSION_TIMEOUT_MS', 6000, 6000, 300_000),
    rules: json(env, 'ALERT_RULES', DEFAULT_ALERT_RULES, checkRules),
    maxEventAgeMs: int(env, 'MAX_EVENT_AGE_MS', DEFAULT_MAX_EVENT_AGE_MS, 1000, Number.MAX_SAFE_INTEGER),
    maxClockSkewMs: int(env, 'MAX_CLOCK_SKEW_MS', DEFAULT_MAX_CLOCK_SKEW_MS, 0, Number.MAX_SAFE_INTEGER),
    failpoint: failpoint(env),
  };
}

/** How long a batch record (what a batch covered, did and published) is kept by default: 30 days. */
export const DEFAULT_AUDIT_RETENTION_MS = 30 * 24 * 3600_000;

/** Room between the refusal of old events and the pruning of their ledger rows (clock drift, outages). */
export const LEDGER_RETENTION_MARGIN_MS = 3600_000;

/**
 * A pruned ledger row can no longer catch a duplicate, so the bridge must already refuse any copy of
 * it as too old: retention >= MAX_EVENT_AGE_MS + MAX_CLOCK_SKEW_MS (the bridge's values, which the
 * worker reads to check) + a margin.
 */
function ledgerRetention(env: Env): LedgerRetention | undefined {
  const maxEventAgeMs = int(env, 'MAX_EVENT_AGE_MS', DEFAULT_MAX_EVENT_AGE_MS, 1000, Number.MAX_SAFE_INTEGER);
  const maxClockSkewMs = int(env, 'MAX_CLOCK_SKEW_MS', DEFAULT_MAX_CLOCK_SKEW_MS, 0, Number.MAX_SAFE_INTEGER);
  const retentionMs = int(
    env,
    'LEDGER_RETENTION_MS',
    maxEventAgeMs + 24 * 3600_000,
    0,
    Number.MAX_SAFE_INTEGER,
  );
  if (retentionMs === 0) return undefined;
  const floor = maxEventAgeMs + maxClockSkewMs + LEDGER_RETENTION_MARGIN_MS;
  if (retentionMs < floor) {
    throw new ConfigError(
      `LEDGER_RETENTION_MS=${retentionMs}: expected 0 (never prune) or at least MAX_EVENT_AGE_MS (${maxEventAgeMs}) + MAX_CLOCK_SKEW_MS (${maxClockSkewMs}) + 1 h = ${floor}: a younger row may still be the only record of an event the bridge accepts, so its duplicate would apply twice`,
    );
  }
  const auditRetentionMs = int(
    env,
    'AUDIT_RETENTION_MS',
    Math.max(retentionMs, DEFAULT_AUDIT_RETENTION_MS),
    0,
    Number.MAX_SAFE_INTEGER,
  );
  if (auditRetentionMs < retentionMs) {
    throw new ConfigError(
      `AUDIT_RETENTION_MS=${auditRetentionMs}: expected at least LEDGER_RETENTION_MS (${retentionMs}): an event the ledger still holds is traced through its batch record (npm run trace)`,
    );
  }
  return {
    retentionMs,
    auditRetentionMs,
    intervalMs: int(env, 'LEDGER_PRUNE_INTERVAL_MS', 3600_000, 60_000, 7 * 24 * 3600_000),
  };
}

/** Alert fan-out and alert workflows: bounded so that a storm leaves the batches room (docs/reliability.md). */
export const DEFAULT_ALERT_SIGNAL_CONCURRENCY = 16;
export const DEFAULT_ALERT_WORKER_SLOTS = 4;

export function loadWorkerConfig(env: Env = process.env): WorkerConfig {
  return {
    ...common(env, 'sensor-worker', METRICS_PORTS.worker),
    ledgerRetention: ledgerRetention(env),
    databaseUrl: str(env, 'DATABASE_URL', 'postgres://sensor_app:sensor_app@127.0.0.1:16432/sensors'),
    ...databaseCredentials(env),
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 1, 1000),
    escalation: json(env, 'ALERT_ESCALATION', DEFAULT_ESCALATION, checkEscalation),
    // A batch task is CPU work plus short database and broker waits: a few in flight cover the
    // waits; dozens on a starved CPU only time out and re-run their local activities (bench).
    maxConcurrentWorkflowTasks: int(env, 'WORKER_MAX_WORKFLOW_TASKS', 16, 1, 10_000),
    maxConcurrentLocalActivities: int(env, 'WORKER_MAX_LOCAL_ACTIVITIES', 8, 1, 10_000),
    alertSignalConcurrency: int(env, 'ALERT_SIGNAL_CONCURRENCY', DEFAULT_ALERT_SIGNAL_CONCURRENCY, 1, 1000),
    alertWorkerSlots: int(env, 'ALERT_WORKER_SLOTS', DEFAULT_ALERT_WORKER_SLOTS, 1, 1000),
    authorizationRetryMs: int(env, 'AUTHORIZATION_RETRY_MS', DEFAULT_AUTHORIZATION_RETRY_MS, 0, 86_400_000),
    // Below the batch workflow's 120 s local-activity timeout, with room for the rest of the batch.
    rangeReadWaitMs: int(env, 'RANGE_READ_WAIT_MS', 30_000, 0, 60_000),
    sdkMetricsPort: env.TEMPORAL_SDK_METRICS_PORT
      ? int(env, 'TEMPORAL_SDK_METRICS_PORT', 0, 1024, 65535)
      : undefined,
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH || undefined,
    alertmanagerUrl: env.ALERTMANAGER_URL ? httpUrl(env, 'ALERTMANAGER_URL') : undefined,
    buildId: env.WORKER_BUILD_ID || undefined,
    deploymentName: env.WORKER_DEPLOYMENT_NAME || undefined,
    alertVersioning: oneOf(env, 'WORKER_ALERT_VERSIONING', ['AUTO_UPGRADE', 'PINNED'] as const),
    promoteOnStart: oneOf(env, 'WORKER_PROMOTE_ON_START', ['false', 'true'] as const) === 'true',
  };
}

/** What the migration step (the chart's `migrate` init container, `npm run migrate`) needs. */
export interface MigrationConfig {
  /** As the database's owner: by URL, unless `databaseCredentials` is set. */
  readonly databaseUrl: string;
  readonly databaseCredentials?: DatabaseCredentials;
  /** The role the worker runs as (MIGRATION_RUNTIME_ROLE): it gets DML on every table, no DDL. */
  readonly runtimeRole: string;
  readonly logLevel: Level;
}

export function loadMigrationConfig(env: Env = process.env): MigrationConfig {
  const runtimeRole = str(env, 'MIGRATION_RUNTIME_ROLE', 'sensor_worker');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(runtimeRole))
    throw new ConfigError(`MIGRATION_RUNTIME_ROLE=${runtimeRole}: expected a Postgres role name`);
  return {
    databaseUrl: str(env, 'DATABASE_URL', 'postgres://sensor_app:sensor_app@127.0.0.1:16432/sensors'),
    ...databaseCredentials(env),
    runtimeRole,
    logLevel: logLevel(env),
  };
}
