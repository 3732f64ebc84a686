/**
 * The Postgres section (validate.ts): instances, volumes, connections through the pooler, backups.
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
}
