import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CnpgPostgres, type CnpgPostgresProps } from '../../../stacks/constructs/cnpg-postgres.js';
import { manifests, only, resources, synth } from '../helpers.js';

const base: CnpgPostgresProps = {
  clusterName: 'pg',
  namespace: 'postgres',
  tlsIssuer: { kind: 'ClusterIssuer' as const, name: 'platform-ca' },
  roles: [
    { name: 'sensor', databases: ['sensor'], consumerNamespace: 'apps' },
    { name: 'temporal', databases: ['temporal', 'temporal_visibility'], consumerNamespace: 'temporal' },
  ],
  generatePassword: () => 'pw',
};

void test('Cluster: instances, initdb owner, managed roles with basic-auth secrets, anti-affinity', () => {
  const json = synth((s) => new CnpgPostgres(s, 'pg', { ...base, instances: 3, maxConnections: 300 }));
  const cluster = only(manifests(json, 'Cluster'), 'Cluster');
  assert.equal(cluster.apiVersion, 'postgresql.cnpg.io/v1');
  assert.equal(cluster.spec.instances, 3);
  assert.equal(cluster.spec.postgresql.parameters.max_connections, '300');
  assert.deepEqual(cluster.spec.bootstrap.initdb, {
    database: 'sensor',
    owner: 'sensor',
    secret: { name: 'pg-sensor' },
  });
  assert.deepEqual(cluster.spec.managed.roles, [
    { name: 'temporal', ensure: 'present', login: true, passwordSecret: { name: 'pg-temporal' } },
  ]);
  assert.equal(cluster.spec.affinity.enablePodAntiAffinity, true);
  assert.equal(cluster.spec.monitoring.enablePodMonitor, false);
  const secrets = resources(json, 'kubernetes_secret_v1') as {
    metadata: { name: string; namespace: string };
    type: string;
    data?: unknown;
    data_wo?: Record<string, string>;
    data_wo_revision?: number;
  }[];
  const source = secrets.find(
    (s) => s.metadata.namespace === 'postgres' && s.metadata.name === 'pg-temporal',
  );
  assert.equal(source?.type, 'kubernetes.io/basic-auth');
  // Write-only: a later plan neither rotates the password nor stores it (decision 0112).
  assert.equal(source?.data, undefined, 'the password must not be a stored attribute');
  assert.equal(source?.data_wo?.username, 'temporal');
  assert.equal(source?.data_wo_revision, 1);
});

void test('role credentials are written into the consumer namespace from the same one-per-role value as the source', () => {
  let pg: CnpgPostgres | undefined;
  const json = synth((s) => (pg = new CnpgPostgres(s, 'pg', base)));
  const secrets = resources(json, 'kubernetes_secret_v1') as {
    metadata: { name: string; namespace: string };
    data_wo: Record<string, string>;
  }[];
  const copy = only(
    secrets.filter((s) => s.metadata.namespace === 'temporal'),
    'temporal credentials copy',
  );
  const source = only(
    secrets.filter((s) => s.metadata.namespace === 'postgres' && s.metadata.name === 'pg-temporal'),
    'temporal source secret',
  );
  const other = only(
    secrets.filter((s) => s.metadata.namespace === 'postgres' && s.metadata.name === 'pg-sensor'),
    'sensor source secret',
  );
  assert.match(copy.data_wo.password!, /^\$\{local\.[^}]+\}$/);
  assert.equal(copy.data_wo.password, source.data_wo.password, 'copy and source must share one value');
  assert.notEqual(other.data_wo.password, source.data_wo.password, 'each role has its own value');
  const locals = (json as { locals?: Record<string, string> }).locals ?? {};
  const local = /^\$\{local\.([^}]+)\}$/.exec(copy.data_wo.password!)![1]!;
  assert.equal(locals[local], 'pw');
  assert.equal(copy.data_wo.host, 'pg-pooler-rw.postgres.svc');
  assert.match(
    copy.data_wo.uri!,
    /^postgresql:\/\/temporal:\$\{local\.[^}]+\}@pg-pooler-rw\.postgres\.svc:5432\/temporal\?sslmode=verify-full$/,
  );
  assert.equal(copy.data_wo.sslmode, 'verify-full');
  assert.deepEqual(pg!.connection.credentials.temporal, {
    username: 'temporal',
    database: 'temporal',
    secretName: 'pg-temporal',
    namespace: 'temporal',
  });
  assert.equal(pg!.connection.host, 'pg-pooler-rw.postgres.svc');
});

void test('TLS only: server certificate from the platform CA covering the Pooler, hostssl per role, reject the rest', () => {
  let pg: CnpgPostgres | undefined;
  const json = synth((s) => (pg = new CnpgPostgres(s, 'pg', base)));
  const cluster = only(manifests(json, 'Cluster'), 'Cluster');
  const cert = only(manifests(json, 'Certificate'), 'Certificate');
  assert.deepEqual(cert.spec.issuerRef, {
    group: 'cert-manager.io',
    kind: 'ClusterIssuer',
    name: 'platform-ca',
  });
  assert.ok(cert.spec.dnsNames.includes('pg-pooler-rw.postgres.svc'), 'clients dial the Pooler');
  assert.ok(cert.spec.dnsNames.includes('pg-rw.postgres.svc'));
  assert.equal(cert.spec.secretTemplate.labels['cnpg.io/reload'], 'true');
  assert.deepEqual(cluster.spec.certificates, {
    serverTLSSecret: cert.spec.secretName,
    serverCASecret: cert.spec.secretName,
  });
  // Temporal's role cannot reach the sensor database and vice versa; nothing without TLS.
  assert.deepEqual(cluster.spec.postgresql.pg_hba, [
    'hostssl sensor sensor all scram-sha-256',
    'hostssl temporal temporal all scram-sha-256',
    'hostssl temporal_visibility temporal all scram-sha-256',
    'host all all all reject',
  ]);
  const pooler = only(manifests(json, 'Pooler'), 'Pooler');
  assert.equal(pooler.spec.pgbouncer.parameters.client_tls_sslmode, 'require');
  assert.ok(pooler.spec.pgbouncer.pg_hba.includes('hostssl sensor sensor 0.0.0.0/0 scram-sha-256'));
  assert.ok(!pooler.spec.pgbouncer.pg_hba.some((l: string) => /^hostssl sensor temporal /.test(l)));
  assert.equal(pooler.spec.pgbouncer.pg_hba.at(-1), 'host all all ::/0 reject');
  assert.equal(pg!.connection.sslMode, 'verify-full');
});

void test('default passwords are computed by Terraform at apply (uuid()), never present in the synthesized JSON', () => {
  const json = synth((s) => new CnpgPostgres(s, 'pg', { ...base, generatePassword: undefined }));
  const sources = (
    resources(json, 'kubernetes_secret_v1') as {
      metadata: { namespace: string };
      data_wo: Record<string, string>;
    }[]
  ).filter((s) => s.metadata.namespace === 'postgres');
  assert.equal(sources.length, 2);
  const locals = (json as { locals?: Record<string, string> }).locals ?? {};
  for (const s of sources) {
    const local = /^\$\{local\.([^}]+)\}$/.exec(s.data_wo.password!)?.[1];
    assert.equal(local && locals[local], '${uuid()}');
  }
});

void test('Database resources with owners, including temporal_visibility', () => {
  const dbs = manifests(
    synth((s) => new CnpgPostgres(s, 'pg', base)),
    'Database',
  );
  assert.deepEqual(dbs.map((d) => [d.metadata.name, d.spec.name, d.spec.owner, d.spec.cluster.name]).sort(), [
    ['pg-sensor', 'sensor', 'sensor', 'pg'],
    ['pg-temporal', 'temporal', 'temporal', 'pg'],
    ['pg-temporal-visibility', 'temporal_visibility', 'temporal', 'pg'],
  ]);
});

void test('Pooler: PgBouncer rw in transaction mode with the configured sizes', () => {
  const json = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        ...base,
        pooler: { instances: 3, defaultPoolSize: 40, maxClientConn: 1000 },
      }),
  );
  const pooler = only(manifests(json, 'Pooler'), 'Pooler');
  assert.equal(pooler.spec.type, 'rw');
  assert.equal(pooler.spec.instances, 3);
  assert.equal(pooler.spec.pgbouncer.poolMode, 'transaction');
  assert.equal(pooler.spec.pgbouncer.parameters.default_pool_size, '40');
  assert.equal(pooler.spec.pgbouncer.parameters.max_client_conn, '1000');
});

void test('operand images are pinned: the defaults, or what the environment names', () => {
  const defaults = synth((s) => new CnpgPostgres(s, 'pg', base));
  assert.equal(
    only(manifests(defaults, 'Cluster'), 'Cluster').spec.imageName,
    'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie',
  );
  assert.deepEqual(only(manifests(defaults, 'Pooler'), 'Pooler').spec.template.spec.containers, [
    { name: 'pgbouncer', image: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' },
  ]);
  const named = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        ...base,
        imageName: 'registry.local/pg:18.5',
        pooler: {
          instances: 2,
          defaultPoolSize: 40,
          maxClientConn: 1000,
          imageName: 'registry.local/pgb:1.26',
        },
      }),
  );
  assert.equal(only(manifests(named, 'Cluster'), 'Cluster').spec.imageName, 'registry.local/pg:18.5');
  assert.equal(
    only(manifests(named, 'Pooler'), 'Pooler').spec.template.spec.containers[0].image,
    'registry.local/pgb:1.26',
  );
});

void test('backups: volume snapshots, the Barman Cloud plugin, or none', () => {
  const none = synth((s) => new CnpgPostgres(s, 'pg', base));
  assert.equal(manifests(none, 'ScheduledBackup').length, 0);

  const snap = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        ...base,
        backup: { method: 'volumeSnapshot', snapshotClassName: 'csi', schedule: '0 0 3 * * *' },
      }),
  );
  assert.deepEqual(only(manifests(snap, 'Cluster'), 'Cluster').spec.backup, {
    volumeSnapshot: { className: 'csi', online: true },
  });
  assert.equal(only(manifests(snap, 'ScheduledBackup'), 'ScheduledBackup').spec.method, 'volumeSnapshot');

  const barman = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        ...base,
        backup: {
          method: 'barmanCloudPlugin',
          objectStoreName: 'store',
          destinationPath: 's3://bucket/pg',
          endpointUrl: 'https://minio.storage.svc:9000',
          credentialsSecret: 'pg-backup-keys',
          retentionPolicy: '30d',
          schedule: '0 0 2 * * *',
        },
      }),
  );
  // The ObjectStore the Cluster archives to, created with it (before it, by dependency).
  const store = only(manifests(barman, 'ObjectStore'), 'ObjectStore');
  assert.equal(store.apiVersion, 'barmancloud.cnpg.io/v1');
  assert.equal(store.metadata.name, 'store');
  assert.equal(store.spec.retentionPolicy, '30d');
  assert.deepEqual(store.spec.configuration, {
    destinationPath: 's3://bucket/pg',
    endpointURL: 'https://minio.storage.svc:9000',
    s3Credentials: {
      accessKeyId: { name: 'pg-backup-keys', key: 'ACCESS_KEY_ID' },
      secretAccessKey: { name: 'pg-backup-keys', key: 'ACCESS_SECRET_KEY' },
    },
    wal: { compression: 'zstd' },
    data: { compression: 'bzip2' },
  });
  assert.deepEqual(only(manifests(barman, 'Cluster'), 'Cluster').spec.plugins, [
    {
      name: 'barman-cloud.cloudnative-pg.io',
      isWALArchiver: true,
      parameters: { barmanObjectName: 'store' },
    },
  ]);
  const sb = only(manifests(barman, 'ScheduledBackup'), 'ScheduledBackup');
  assert.equal(sb.spec.method, 'plugin');
  assert.deepEqual(sb.spec.pluginConfiguration, { name: 'barman-cloud.cloudnative-pg.io' });
});

void test('restore: the cluster bootstraps from the ObjectStore, to a point in time when given', () => {
  const restored = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        ...base,
        restore: { objectStoreName: 'old-store', serverName: 'pg-old', targetTime: '2026-12-01T10:00:00Z' },
      }),
  );
  const spec = only(manifests(restored, 'Cluster'), 'Cluster').spec;
  assert.equal(spec.bootstrap.initdb, undefined, 'no empty database');
  assert.equal(spec.bootstrap.recovery.source, 'origin');
  assert.deepEqual(spec.bootstrap.recovery.recoveryTarget, { targetTime: '2026-12-01T10:00:00Z' });
  assert.ok(
    spec.bootstrap.recovery.database && spec.bootstrap.recovery.owner && spec.bootstrap.recovery.secret.name,
  );
  assert.deepEqual(spec.externalClusters, [
    {
      name: 'origin',
      plugin: {
        name: 'barman-cloud.cloudnative-pg.io',
        parameters: { barmanObjectName: 'old-store', serverName: 'pg-old' },
      },
    },
  ]);
  // Without a target time: to the end of the archive.
  const latest = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', { ...base, restore: { objectStoreName: 'old-store', serverName: 'pg-old' } }),
  );
  assert.equal(
    only(manifests(latest, 'Cluster'), 'Cluster').spec.bootstrap.recovery.recoveryTarget,
    undefined,
  );
  // Without restore: initdb, no external cluster.
  const fresh = only(
    manifests(
      synth((s) => new CnpgPostgres(s, 'pg', base)),
      'Cluster',
    ),
    'Cluster',
  ).spec;
  assert.ok(fresh.bootstrap.initdb);
  assert.equal(fresh.externalClusters, undefined);
});

void test('validation: no roles, a database owned twice', () => {
  assert.throws(
    () => synth((s) => new CnpgPostgres(s, 'pg', { ...base, roles: [] })),
    /'roles' \(\[\]\) must contain at least one role with one database/,
  );
  assert.throws(
    () =>
      synth(
        (s) =>
          new CnpgPostgres(s, 'pg', {
            ...base,
            roles: [
              { name: 'a', databases: ['x'], consumerNamespace: 'n' },
              { name: 'b', databases: ['x'], consumerNamespace: 'n' },
            ],
          }),
      ),
    /'roles\[1\]\.databases' names 'x' twice: a database has one owner/,
  );
});

void test('a role that only connects: reaches its database over TLS, owns nothing, gets a Secret naming that database', () => {
  const json = synth(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        ...base,
        roles: [
          ...base.roles,
          { name: 'sensor_worker', databases: [], connects: ['sensor'], consumerNamespace: 'apps' },
        ],
      }),
  );
  const cluster = only(manifests(json, 'Cluster'), 'Cluster');
  assert.ok(cluster.spec.postgresql.pg_hba.includes('hostssl sensor sensor_worker all scram-sha-256'));
  assert.ok(
    cluster.spec.managed.roles.some(
      (r: { name: string; passwordSecret: { name: string } }) =>
        r.name === 'sensor_worker' && r.passwordSecret.name === 'pg-sensor-worker',
    ),
  );
  const dbs = manifests(json, 'Database');
  assert.ok(!dbs.some((d) => d.spec.owner === 'sensor_worker'), 'it owns no database');
  const pooler = only(manifests(json, 'Pooler'), 'Pooler');
  assert.ok(pooler.spec.pgbouncer.pg_hba.includes('hostssl sensor sensor_worker 0.0.0.0/0 scram-sha-256'));
  const copy = (
    resources(json, 'kubernetes_secret_v1') as {
      metadata: { name: string; namespace: string };
      data_wo: Record<string, string>;
    }[]
  ).find((s) => s.metadata.namespace === 'apps' && s.metadata.name === 'pg-sensor-worker');
  assert.equal(copy?.data_wo.dbname, 'sensor');
  assert.equal(copy?.data_wo.username, 'sensor_worker');
});
