/**
 * The Postgres section (validate.ts): instances, volumes, connections through the pooler, backups
 * and the restore switch.
 */
import { ASSUMPTIONS } from '../../capacity/model.js';
import { GIB, parseQuantity } from '../../lib/quantity.js';
import type { EnvironmentConfig } from '../types.js';
import { CRON6, DNS_LABEL, PG_IDENT, type Checker } from './checker.js';

/** Postgres' default `max_wal_size` is 1 GB; the WAL volume must hold twice that between checkpoints. */
const MIN_WAL_BYTES = ASSUMPTIONS.minWalGi * GIB;

export function checkPostgres(c: Checker, config: EnvironmentConfig): void {
  const env = config.name;
  const p = config.postgres;
  c.match('postgres.clusterName', p.clusterName, DNS_LABEL, 'a DNS label');
  c.pinnedImage('postgres.imageName', p.imageName, 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie');
  c.pinnedImage('postgres.pooler.imageName', p.pooler.imageName, 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1');
  c.int('postgres.instances', p.instances, 1, 9);
  c.rule(
    env === 'dev' || p.instances >= 2,
    `'postgres.instances' (${p.instances}) must be >= 2 outside dev: a single instance has no failover`,
  );
  c.int('postgres.synchronousStandbys', p.synchronousStandbys, 0, 8);
  c.rule(
    env === 'dev' || p.synchronousStandbys >= 1,
    `'postgres.synchronousStandbys' (${p.synchronousStandbys}) must be >= 1 outside dev: an asynchronous standby promoted after a failover lacks batches that were committed, published and completed`,
  );
  c.rule(
    !(p.synchronousStandbys >= p.instances),
    `'postgres.synchronousStandbys' (${p.synchronousStandbys}) must be below 'postgres.instances' (${p.instances}): with durability required, a commit waits for that many standbys, and the primary is not one`,
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
  c.int('postgres.maxConnections', p.maxConnections, ASSUMPTIONS.pgReservedConnections + 10, 10_000);
  c.match('postgres.appDatabase', p.appDatabase, PG_IDENT, 'a lowercase Postgres identifier');
  c.rule(
    !['temporal', 'temporal_visibility', 'postgres'].includes(p.appDatabase),
    `'postgres.appDatabase' (${JSON.stringify(p.appDatabase)}) must not be temporal, temporal_visibility or postgres`,
  );
  c.int('postgres.pooler.instances', p.pooler.instances, 1, 20);
  c.int('postgres.pooler.defaultPoolSize', p.pooler.defaultPoolSize, 1, 1000);
  c.int('postgres.pooler.maxClientConn', p.pooler.maxClientConn, 1, 100_000);
  const serverConns = p.pooler.instances * p.pooler.defaultPoolSize * ASSUMPTIONS.pooledDatabases;
  c.rule(
    serverConns <= p.maxConnections - ASSUMPTIONS.pgReservedConnections,
    `'postgres.pooler.defaultPoolSize' (${p.pooler.defaultPoolSize}) x 'postgres.pooler.instances' (${p.pooler.instances}) x ${ASSUMPTIONS.pooledDatabases} databases = ${serverConns} server connections must be <= 'postgres.maxConnections' (${p.maxConnections}) - ${ASSUMPTIONS.pgReservedConnections} reserved`,
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
    const b = p.backup;
    c.match('postgres.backup.objectStoreName', b.objectStoreName, DNS_LABEL, 'an ObjectStore name');
    c.match(
      'postgres.backup.destinationPath',
      b.destinationPath,
      OBJECT_STORE_PATH,
      'an object store path: s3://bucket/path, gs://bucket/path or https://<account>.blob.core.windows.net/<container>/path',
    );
    if (b.endpointUrl !== undefined)
      c.match('postgres.backup.endpointUrl', b.endpointUrl, /^https:\/\/[^\s/]+/, 'an https:// URL');
    if (b.credentialsSecret !== undefined)
      c.match('postgres.backup.credentialsSecret', b.credentialsSecret, DNS_LABEL, 'a Secret name');
    c.match(
      'postgres.backup.retentionPolicy',
      b.retentionPolicy,
      /^[1-9][0-9]*[dwm]$/,
      'days, weeks or months such as 30d, 4w or 6m',
    );
    c.match('postgres.backup.schedule', b.schedule, CRON6, 'a six-field cron expression (seconds first)');
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
  checkRestore(c, config);
}

/** `s3://`, `gs://` or Azure's `https://<account>.blob.core.windows.net/`, each with a bucket or container. */
const OBJECT_STORE_PATH =
  /^(s3:\/\/|gs:\/\/|https:\/\/[a-z0-9-]+\.blob\.core\.windows\.net\/)[^\s/]+(\/\S*)?$/;

/** RFC 3339 with a zone, as CNPG's recoveryTarget.targetTime takes it. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/;

function checkRestore(c: Checker, config: EnvironmentConfig): void {
  const p = config.postgres;
  const r = p.restore;
  if (r === undefined) return;
  c.match('postgres.restore.objectStoreName', r.objectStoreName, DNS_LABEL, 'an ObjectStore name');
  c.match(
    'postgres.restore.serverName',
    r.serverName,
    DNS_LABEL,
    'the cluster name the backups were written under',
  );
  if (r.targetTime !== undefined)
    c.match(
      'postgres.restore.targetTime',
      r.targetTime,
      RFC3339,
      'an RFC 3339 time with a zone, such as 2026-12-01T10:00:00Z',
    );
  // The restored cluster archives its own WAL; into the archive it restores from, under the same
  // name, CNPG refuses to start (the archive is not empty) and the old timeline would be overwritten.
  const archivesThere =
    p.backup.method === 'barmanCloudPlugin' && p.backup.objectStoreName === r.objectStoreName;
  c.rule(
    !archivesThere || r.serverName !== p.clusterName,
    `'postgres.restore.serverName' (${JSON.stringify(r.serverName)}) must differ from 'postgres.clusterName' (${JSON.stringify(p.clusterName)}) when restoring from the ObjectStore the cluster archives to ('postgres.backup.objectStoreName'): give the new cluster another clusterName`,
  );
}
