import { DEFAULT_MAX_CLOCK_SKEW_MS, LEDGER_RETENTION_MARGIN_MS } from '../../workers/config.js';
import { TOPICS, type TopicKey } from '../../workers/shared/topics.js';
import { ASSUMPTIONS } from '../capacity/model.js';
import { dev } from './dev.js';
import { prod } from './prod.js';
import { GIB, parseQuantity } from '../lib/quantity.js';
import { shapeIssues, shapeOf } from './shape.js';
import { staging } from './staging.js';
import {
  ENVIRONMENT_NAMES,
  TEMPORAL_SERVICES,
  type DeployedRecord,
  type EnvironmentConfig,
} from './types.js';

/** Thrown when configuration is invalid; `issues` holds one message per problem, each naming its field path. */
export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid configuration for environment '${environment}':\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Cores: whole or decimal, or millicores. A byte suffix on a CPU field is a mix-up. */
const CPU = /^[0-9]+(\.[0-9]+)?m?$/;
/** Bytes with a decimal or binary suffix; `m` (milli) is refused: `512m` of memory is half a byte. */
const BYTES = /^[0-9]+(\.[0-9]+)?(k|Ki|Mi|Gi|Ti|M|G|T)?$/;
/** RFC 1123 label: Kubernetes names of namespaces, services and most objects. */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Label key (`prefix/name`), as used for `broker.rack` topology. */
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** OCI image repository: optional registry host[:port], then lowercase path components; no tag or digest. */
const IMAGE_REPOSITORY =
  /^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]+)?\/)?[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const PG_IDENT = /^[a-z_][a-z0-9_]*$/;
/** Six-field cron (seconds first), as CNPG ScheduledBackup expects. */
const CRON6 = /^(\S+\s+){5}\S+$/;
const DURATION = /^[0-9]+(ms|s|m|h|d|w|y)$/;

/** Connections kept free on Postgres for superusers, replication and the operator. */
export const PG_RESERVED_CONNECTIONS = 20;
/** Databases that PgBouncer pools: temporal, temporal_visibility and the application's. */
export const POOLED_DATABASES = 3;
/** Datastores each Temporal pod opens pools to (default + visibility). */
export const TEMPORAL_DATASTORES = 2;
/** Kafka's default `log.segment.bytes`: the active segment is never deleted by retention. */
export const KAFKA_SEGMENT_BYTES = ASSUMPTIONS.kafkaSegmentBytes;
/** Postgres' default `max_wal_size` is 1 GB; the WAL volume must hold twice that between checkpoints. */
export const MIN_WAL_BYTES = 2 * GIB;

/**
 * The schema of the structure check (stacks/config/shape.ts): the committed environments, plus keys
 * that only variants no committed file uses, or optional fields, carry.
 */
const OPTIONAL_KEYS = {
  kubernetes: { context: '' },
  backend: { dir: '', bucket: '', region: '', keyPrefix: '', prefix: '' },
  postgres: { backup: { snapshotClassName: '', objectStoreName: '', schedule: '' } },
};
let schema: ReturnType<typeof shapeOf> | undefined;

class Checker {
  readonly issues: string[] = [];

  int(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be an integer between ${min} and ${max === Number.MAX_SAFE_INTEGER ? 'infinity' : max}`,
      );
    }
  }

  match(path: string, value: unknown, re: RegExp, expected: string): void {
    if (typeof value !== 'string' || !re.test(value)) {
      this.issues.push(`'${path}' (${JSON.stringify(value)}) must be ${expected}`);
    }
  }

  rule(ok: boolean, message: string): void {
    if (!ok) this.issues.push(message);
  }

  text(path: string, value: unknown, what: string): void {
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.push(`'${path}' (${JSON.stringify(value)}) must be a non-empty string (${what})`);
    }
  }

  cpu(path: string, value: unknown): void {
    const cores = parseQuantity(value);
    if (typeof value !== 'string' || !CPU.test(value) || cores === undefined || cores <= 0) {
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be a Kubernetes quantity of cores > 0 such as 500m or 2`,
      );
    }
  }

  bytes(path: string, value: unknown): void {
    const bytes = parseQuantity(value);
    if (typeof value !== 'string' || !BYTES.test(value) || bytes === undefined || bytes <= 0) {
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be a Kubernetes quantity of bytes > 0 such as 100Gi or 512Mi (m means milli, not mega)`,
      );
    }
  }
}

const KAFKA_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const METADATA_VERSION = /^(\d+)\.(\d+)-IV(\d+)$/;

/** [major, minor] of a Kafka version or a metadata version, or undefined when malformed. */
function release(value: unknown, pattern: RegExp): [number, number] | undefined {
  const m = typeof value === 'string' ? pattern.exec(value) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compareRelease(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Kafka upgrades in two steps (docs/upgrades.md): first `kafka.version`, which rolls the brokers onto
 * the new software; then, once the record says they run it, `kafka.metadataVersion`. A metadata version
 * the running brokers do not know would stop them, and KRaft cannot lower it again.
 */
function checkKafkaVersions(
  c: Checker,
  k: EnvironmentConfig['kafka'],
  running: { version: string; metadataVersion: string } | undefined,
): void {
  const version = release(k.version, KAFKA_VERSION);
  const metadata = release(k.metadataVersion, METADATA_VERSION);
  c.rule(
    version !== undefined,
    `'kafka.version' (${JSON.stringify(k.version)}) must be a Kafka release such as "4.3.1"`,
  );
  c.rule(
    metadata !== undefined,
    `'kafka.metadataVersion' (${JSON.stringify(k.metadataVersion)}) must be a KRaft metadata version such as "4.3-IV0"`,
  );
  if (!version || !metadata) return;
  c.rule(
    compareRelease(metadata, version) <= 0,
    `'kafka.metadataVersion' (${k.metadataVersion}) must not be above 'kafka.version' (${k.version}): a broker cannot run a metadata version newer than its software`,
  );
  if (!running) return;
  const runningVersion = release(running.version, KAFKA_VERSION);
  const runningMetadata = release(running.metadataVersion, METADATA_VERSION);
  if (runningVersion)
    c.rule(
      compareRelease(metadata, runningVersion) <= 0,
      `'kafka.metadataVersion' (${k.metadataVersion}) must not be above the running Kafka (${running.version}, recorded in stacks/config/deployed-kafka.json): upgrade in two steps, 'kafka.version' first, apply and record it, then 'kafka.metadataVersion' (docs/upgrades.md)`,
    );
  if (runningMetadata) {
    c.rule(
      compareRelease(metadata, runningMetadata) >= 0,
      `'kafka.metadataVersion' (${k.metadataVersion}) must not be below the deployed metadata version (${running.metadataVersion}, recorded in stacks/config/deployed-kafka.json): KRaft does not lower it`,
    );
    c.rule(
      compareRelease(version, runningMetadata) >= 0,
      `'kafka.version' (${k.version}) must not be below the deployed metadata version (${running.metadataVersion}, recorded in stacks/config/deployed-kafka.json): that Kafka cannot read the cluster's metadata`,
    );
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * Validates an environment against the rules and against what is recorded as deployed.
 * Reads no files or environment: the deployed record comes in as an argument (tests pass hand-made
 * ones); its limits come from the capacity model's assumptions and workers/config.ts's defaults.
 * @throws ConfigError listing every problem, each with its field path, value and what was expected.
 */
export function validateConfig(config: EnvironmentConfig, deployed: DeployedRecord): EnvironmentConfig {
  // The rules below read nested fields: a missing or misshapen object must stop here, by name.
  schema ??= shapeOf([dev, staging, prod], OPTIONAL_KEYS);
  const structure = shapeIssues(config, schema, '', new Set(['kafka.topics']));
  if (structure.length > 0)
    throw new ConfigError(String((config as { name?: unknown } | null)?.name), structure);

  const c = new Checker();
  const env = config.name;
  c.rule(
    (ENVIRONMENT_NAMES as readonly string[]).includes(env),
    `'name' (${JSON.stringify(env)}) must be one of ${ENVIRONMENT_NAMES.join(', ')}`,
  );

  for (const [key, ns] of Object.entries(config.namespaces)) {
    c.match(`namespaces.${key}`, ns, DNS_LABEL, 'a DNS label (lowercase letters, digits and -)');
  }
  c.text('kubernetes.configPath', config.kubernetes.configPath, 'a kubeconfig path');
  if (config.kubernetes.context !== undefined) {
    c.text('kubernetes.context', config.kubernetes.context, 'a kubeconfig context name');
  }

  const b = config.backend;
  switch (b.type) {
    case 'local':
      c.rule(
        typeof b.dir === 'string' && b.dir.length > 0,
        `'backend.dir' (${JSON.stringify(b.dir)}) must be a non-empty folder name`,
      );
      break;
    case 's3':
      c.match('backend.bucket', b.bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
      c.match('backend.region', b.region, /^[a-z]{2}-[a-z]+-[0-9]$/, 'an AWS region such as eu-west-1');
      c.text('backend.keyPrefix', b.keyPrefix, 'the state key prefix');
      break;
    case 'gcs':
      c.match('backend.bucket', b.bucket, /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, 'a GCS bucket name');
      c.text('backend.prefix', b.prefix, 'the state object prefix');
      break;
    default:
      c.rule(
        false,
        `'backend.type' (${JSON.stringify((b as { type: unknown }).type)}) must be one of local, s3, gcs`,
      );
  }
  c.rule(
    env === 'dev' || b.type !== 'local',
    `'backend.type' ("local") is only allowed for dev: ${env} state must be shared and locked (s3 or gcs)`,
  );

  // Kafka
  const k = config.kafka;
  c.match('kafka.clusterName', k.clusterName, DNS_LABEL, 'a DNS label');
  for (const pool of ['brokers', 'controllers'] as const) {
    c.int(`kafka.${pool}.replicas`, k[pool].replicas, 1, 100);
    c.bytes(`kafka.${pool}.storageSize`, k[pool].storageSize);
    c.cpu(`kafka.${pool}.cpu`, k[pool].cpu);
    c.bytes(`kafka.${pool}.memory`, k[pool].memory);
  }
  c.match(
    'kafka.rackTopologyKey',
    k.rackTopologyKey,
    LABEL_KEY,
    'a node label key such as topology.kubernetes.io/zone',
  );
  c.rule(
    typeof k.cruiseControl === 'boolean',
    `'kafka.cruiseControl' (${JSON.stringify(k.cruiseControl)}) must be true or false`,
  );
  c.rule(
    k.controllers.replicas % 2 === 1,
    `'kafka.controllers.replicas' (${k.controllers.replicas}) must be odd: a KRaft quorum of n tolerates floor((n-1)/2) failures, an even count adds none`,
  );
  c.int('kafka.replicationFactor', k.replicationFactor, 1, 5);
  c.rule(
    k.replicationFactor <= k.brokers.replicas,
    `'kafka.replicationFactor' (${k.replicationFactor}) must be <= 'kafka.brokers.replicas' (${k.brokers.replicas}): each replica needs its own broker`,
  );
  c.int('kafka.minInsyncReplicas', k.minInsyncReplicas, 1, 5);
  c.rule(
    k.minInsyncReplicas <= k.replicationFactor,
    `'kafka.minInsyncReplicas' (${k.minInsyncReplicas}) must be <= 'kafka.replicationFactor' (${k.replicationFactor}): otherwise no acks=all write succeeds`,
  );
  c.rule(
    env === 'dev' || k.minInsyncReplicas < k.replicationFactor,
    `'kafka.minInsyncReplicas' (${k.minInsyncReplicas}) must be < 'kafka.replicationFactor' (${k.replicationFactor}) outside dev: a single broker restart would block every producer`,
  );
  checkKafkaVersions(c, k, deployed.kafka?.[env]);
  const deployedPartitions = deployed.partitions[env] ?? {};
  for (const key of Object.keys(TOPICS) as TopicKey[]) {
    const topic = k.topics[key];
    const path = `kafka.topics.${key}`;
    if (!topic) {
      c.rule(
        false,
        `'${path}' (${String(topic)}) must be set: every topic of workers/shared/topics.ts needs a configuration`,
      );
      continue;
    }
    c.int(`${path}.partitions`, topic.partitions, 1, 10_000);
    c.int(`${path}.retentionHours`, topic.retentionHours, 1, 24 * 365);
    const was = deployedPartitions[key];
    c.rule(
      was === undefined || topic.partitions >= was,
      `'${path}.partitions' (${topic.partitions}) must be >= the deployed count (${was}) recorded in stacks/config/deployed-partitions.json: Kafka cannot remove partitions, and keyed ordering would break`,
    );
  }
  for (const key of Object.keys(k.topics)) {
    c.rule(
      key in TOPICS,
      `'kafka.topics.${key}' is not a topic of workers/shared/topics.ts (expected one of ${Object.keys(TOPICS).join(', ')})`,
    );
  }
  // Retention never deletes a partition's active segment, so each replica may hold a full one.
  const partitionCount = Object.values(k.topics).reduce(
    (sum, t) => sum + (typeof t?.partitions === 'number' ? t.partitions : 0),
    0,
  );
  const brokerBytes = parseQuantity(k.brokers.storageSize);
  if (brokerBytes !== undefined && k.brokers.replicas > 0 && Number.isInteger(k.replicationFactor)) {
    const segments = Math.ceil((partitionCount * k.replicationFactor) / k.brokers.replicas);
    c.rule(
      brokerBytes >= segments * KAFKA_SEGMENT_BYTES,
      `'kafka.brokers.storageSize' (${k.brokers.storageSize}) is too small: ${partitionCount} partitions x RF ${k.replicationFactor} / ${k.brokers.replicas} brokers = ${segments} active 1 GiB segments per broker, which retention cannot delete (docs/capacity.md)`,
    );
  }
  // What the bridge rejects must outlive its source, so it can be inspected and re-driven later.
  for (const key of ['deadLetter', 'parking'] as const) {
    const kept = k.topics[key]?.retentionHours;
    const source = k.topics.sensorData?.retentionHours;
    c.rule(
      typeof kept !== 'number' || typeof source !== 'number' || kept >= source,
      `'kafka.topics.${key}.retentionHours' (${kept}) must be >= 'kafka.topics.sensorData.retentionHours' (${source}): a rejected record must outlive its source for redrive`,
    );
  }

  // Postgres
  const p = config.postgres;
  c.match('postgres.clusterName', p.clusterName, DNS_LABEL, 'a DNS label');
  c.int('postgres.instances', p.instances, 1, 9);
  c.rule(
    env === 'dev' || p.instances >= 2,
    `'postgres.instances' (${p.instances}) must be >= 2 outside dev: a single instance has no failover`,
  );
  c.bytes('postgres.storageSize', p.storageSize);
  c.bytes('postgres.walStorageSize', p.walStorageSize);
  c.cpu('postgres.cpu', p.cpu);
  c.bytes('postgres.memory', p.memory);
  const walBytes = parseQuantity(p.walStorageSize);
  c.rule(
    walBytes === undefined || walBytes >= MIN_WAL_BYTES,
    `'postgres.walStorageSize' (${p.walStorageSize}) is too small: it must be >= 2Gi, twice Postgres' default max_wal_size, or WAL fills the volume between checkpoints`,
  );
  c.int('postgres.maxConnections', p.maxConnections, PG_RESERVED_CONNECTIONS + 10, 10_000);
  c.match('postgres.appDatabase', p.appDatabase, PG_IDENT, 'a lowercase Postgres identifier');
  c.rule(
    !['temporal', 'temporal_visibility', 'postgres'].includes(p.appDatabase),
    `'postgres.appDatabase' (${JSON.stringify(p.appDatabase)}) must not be temporal, temporal_visibility or postgres`,
  );
  c.int('postgres.pooler.instances', p.pooler.instances, 1, 20);
  c.int('postgres.pooler.defaultPoolSize', p.pooler.defaultPoolSize, 1, 1000);
  c.int('postgres.pooler.maxClientConn', p.pooler.maxClientConn, 1, 100_000);
  const serverConns = p.pooler.instances * p.pooler.defaultPoolSize * POOLED_DATABASES;
  c.rule(
    serverConns <= p.maxConnections - PG_RESERVED_CONNECTIONS,
    `'postgres.pooler.defaultPoolSize' (${p.pooler.defaultPoolSize}) x 'postgres.pooler.instances' (${p.pooler.instances}) x ${POOLED_DATABASES} databases = ${serverConns} server connections must be <= 'postgres.maxConnections' (${p.maxConnections}) - ${PG_RESERVED_CONNECTIONS} reserved`,
  );
  if (p.backup.method === 'volumeSnapshot') {
    c.match(
      'postgres.backup.snapshotClassName',
      p.backup.snapshotClassName,
      DNS_LABEL,
      'a VolumeSnapshotClass name',
    );
    c.match(
      'postgres.backup.schedule',
      p.backup.schedule,
      CRON6,
      'a six-field cron expression (seconds first)',
    );
  } else if (p.backup.method === 'barmanCloudPlugin') {
    c.match('postgres.backup.objectStoreName', p.backup.objectStoreName, DNS_LABEL, 'an ObjectStore name');
    c.match(
      'postgres.backup.schedule',
      p.backup.schedule,
      CRON6,
      'a six-field cron expression (seconds first)',
    );
  } else if (p.backup.method !== 'none') {
    c.rule(
      false,
      `'postgres.backup.method' (${JSON.stringify((p.backup as { method: unknown }).method)}) must be one of none, volumeSnapshot, barmanCloudPlugin`,
    );
  }
  c.rule(
    env !== 'prod' || p.backup.method !== 'none',
    `'postgres.backup.method' ("none") is not allowed for prod: choose volumeSnapshot or barmanCloudPlugin`,
  );

  // Temporal
  const t = config.temporal;
  c.rule(
    isPowerOfTwo(t.numHistoryShards) && t.numHistoryShards <= 16_384,
    `'temporal.numHistoryShards' (${t.numHistoryShards}) must be a power of two between 1 and 16384`,
  );
  const deployedShards = deployed.shards[env];
  c.rule(
    deployedShards === undefined || deployedShards === t.numHistoryShards,
    `'temporal.numHistoryShards' (${t.numHistoryShards}) must equal the deployed value (${deployedShards}) recorded in stacks/config/deployed-shards.json: the shard count of a Temporal cluster is fixed at creation; changing it needs a new cluster and a migration (docs/sre-guide.md)`,
  );
  for (const svc of TEMPORAL_SERVICES) {
    c.int(`temporal.replicas.${svc}`, t.replicas[svc], 1, 100);
    c.cpu(`temporal.resources.${svc}.cpu`, t.resources[svc].cpu);
    c.bytes(`temporal.resources.${svc}.memory`, t.resources[svc].memory);
  }
  c.int('temporal.webReplicas', t.webReplicas, 0, 10);
  c.int('temporal.retentionDays', t.retentionDays, 1, 3650);
  c.int('temporal.maxConns', t.maxConns, 1, 1000);
  c.int('temporal.maxIdleConns', t.maxIdleConns, 0, 1000);
  c.rule(
    t.maxIdleConns <= t.maxConns,
    `'temporal.maxIdleConns' (${t.maxIdleConns}) must be <= 'temporal.maxConns' (${t.maxConns})`,
  );
  const temporalPods = t.replicas.frontend + t.replicas.history + t.replicas.matching + t.replicas.worker;
  const clientConns = temporalPods * TEMPORAL_DATASTORES * t.maxConns;
  const poolerCapacity = p.pooler.instances * p.pooler.maxClientConn;
  c.rule(
    clientConns <= poolerCapacity,
    `'temporal.maxConns' (${t.maxConns}) x ${temporalPods} Temporal pods x ${TEMPORAL_DATASTORES} datastores = ${clientConns} client connections must be <= 'postgres.pooler.maxClientConn' (${p.pooler.maxClientConn}) x 'postgres.pooler.instances' (${p.pooler.instances}) = ${poolerCapacity}`,
  );

  // Pipeline
  const pl = config.pipeline;
  c.match(
    'pipeline.image.repository',
    pl.image.repository,
    IMAGE_REPOSITORY,
    'an image repository such as ghcr.io/org/workers (lowercase, without :tag or @digest: the tag is pipeline.image.tag)',
  );
  c.match('pipeline.image.tag', pl.image.tag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'an OCI image tag');
  for (const svc of ['bridge', 'worker'] as const) {
    c.int(`pipeline.${svc}.minReplicas`, pl[svc].minReplicas, 0, 1000);
    c.int(`pipeline.${svc}.maxReplicas`, pl[svc].maxReplicas, 1, 1000);
    c.rule(
      pl[svc].minReplicas <= pl[svc].maxReplicas,
      `'pipeline.${svc}.minReplicas' (${pl[svc].minReplicas}) must be <= 'pipeline.${svc}.maxReplicas' (${pl[svc].maxReplicas})`,
    );
    c.cpu(`pipeline.${svc}.cpu`, pl[svc].cpu);
    c.bytes(`pipeline.${svc}.memory`, pl[svc].memory);
  }
  const ew = pl.eventWindow;
  c.int('pipeline.eventWindow.maxEventAgeHours', ew.maxEventAgeHours, 1, 24 * 366);
  c.int('pipeline.eventWindow.ledgerRetentionHours', ew.ledgerRetentionHours, 2, 24 * 3660);
  const ledgerFloorMs =
    ew.maxEventAgeHours * 3600_000 + DEFAULT_MAX_CLOCK_SKEW_MS + LEDGER_RETENTION_MARGIN_MS;
  c.rule(
    ew.ledgerRetentionHours * 3600_000 >= ledgerFloorMs,
    `'pipeline.eventWindow.ledgerRetentionHours' (${ew.ledgerRetentionHours}) must be >= 'pipeline.eventWindow.maxEventAgeHours' (${ew.maxEventAgeHours}) + ${(DEFAULT_MAX_CLOCK_SKEW_MS + LEDGER_RETENTION_MARGIN_MS) / 60_000} minutes (clock skew and margin): a pruned ledger row no longer catches a duplicate that the bridge still accepts (decision 0007)`,
  );
  const partitions = k.topics.sensorData?.partitions ?? 0;
  c.rule(
    pl.bridge.maxReplicas <= partitions,
    `'pipeline.bridge.maxReplicas' (${pl.bridge.maxReplicas}) must be <= 'kafka.topics.sensorData.partitions' (${partitions}): consumers beyond the partition count idle`,
  );
  c.int('pipeline.bridge.lagThreshold', pl.bridge.lagThreshold, 1);
  c.int('pipeline.worker.targetQueueSize', pl.worker.targetQueueSize, 1);
  c.int('pipeline.worker.databasePoolSize', pl.worker.databasePoolSize, 1, 1000);
  const workerConns = pl.worker.maxReplicas * pl.worker.databasePoolSize;
  c.rule(
    workerConns + clientConns <= poolerCapacity,
    `'pipeline.worker.maxReplicas' (${pl.worker.maxReplicas}) x 'pipeline.worker.databasePoolSize' (${pl.worker.databasePoolSize}) = ${workerConns} worker connections + ${clientConns} Temporal connections must be <= the pooler's ${poolerCapacity} client connections ('postgres.pooler.maxClientConn' x 'postgres.pooler.instances')`,
  );
  c.match('pipeline.worker.deploymentName', pl.worker.deploymentName, DNS_LABEL, 'a DNS label');
  c.match(
    'pipeline.worker.buildId',
    pl.worker.buildId,
    /^[A-Za-z0-9_.-]{1,255}$/,
    'a build ID of letters, digits, _ . -',
  );

  // Observability
  const o = config.observability;
  c.match(
    'observability.prometheusRetention',
    o.prometheusRetention,
    DURATION,
    'a Prometheus duration such as 15d',
  );
  c.int('observability.consumerLagAlert', o.consumerLagAlert, 1);
  c.rule(
    typeof o.dlqRateAlert === 'number' && o.dlqRateAlert > 0,
    `'observability.dlqRateAlert' (${JSON.stringify(o.dlqRateAlert)}) must be a number > 0 (messages per second)`,
  );
  c.rule(
    typeof o.scheduleToStartAlertSeconds === 'number' && o.scheduleToStartAlertSeconds > 0,
    `'observability.scheduleToStartAlertSeconds' (${JSON.stringify(o.scheduleToStartAlertSeconds)}) must be a number > 0 (seconds)`,
  );

  if (c.issues.length > 0) throw new ConfigError(env, c.issues);
  return config;
}
