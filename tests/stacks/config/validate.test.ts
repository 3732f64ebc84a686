import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deepMerge,
  loadEnvironment,
  readDeployedRecord,
  selectEnvironments,
} from '../../../stacks/config/load.js';
import type { DeployedRecord, EnvironmentConfig } from '../../../stacks/config/types.js';
import { ConfigError, validateConfig } from '../../../stacks/config/validate.js';
import { committedEnvironment } from '../../../stacks/config/committed.js';

const dev = committedEnvironment('dev');
const staging = committedEnvironment('staging');
const prod = committedEnvironment('prod');

const NOTHING_DEPLOYED: DeployedRecord = { partitions: {}, shards: {} };

/** Validates `base` with `override` deep-merged and returns the error message (fails if valid). */
function errorOf(
  base: EnvironmentConfig,
  override: unknown,
  deployed: DeployedRecord = NOTHING_DEPLOYED,
): string {
  const config = deepMerge(base, override);
  try {
    validateConfig(config, deployed);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`configuration ${JSON.stringify(override)} was accepted`);
}

void test('the committed environments are valid against the committed deployed record', () => {
  const deployed = readDeployedRecord();
  for (const env of [dev, staging, prod]) assert.equal(validateConfig(env, deployed), env);
});

void test('partitions below the deployed count are refused with the field path', () => {
  const deployed: DeployedRecord = { partitions: { prod: { sensorData: 48 } }, shards: {} };
  const msg = errorOf(
    prod,
    {
      kafka: { topics: { sensorData: { partitions: 24 } } },
      pipeline: { bridge: { maxReplicas: 24, minReplicas: 12 } },
    },
    deployed,
  );
  assert.match(
    msg,
    /'kafka\.topics\.sensorData\.partitions' \(24\) must be >= the deployed count \(48\) recorded in stacks\/config\/deployed-partitions\.json/,
  );
});

void test('increasing partitions beyond the deployed count is allowed', () => {
  const deployed: DeployedRecord = { partitions: { prod: { sensorData: 48 } }, shards: { prod: 4096 } };
  const config = deepMerge(prod, { kafka: { topics: { sensorData: { partitions: 96 } } } });
  assert.equal(validateConfig(config, deployed).kafka.topics.sensorData.partitions, 96);
});

void test('bridge maxReplicas above the partition count is refused', () => {
  const partitions = dev.kafka.topics.sensorData.partitions;
  const msg = errorOf(dev, { pipeline: { bridge: { maxReplicas: partitions + 1 } } });
  assert.ok(
    msg.includes(
      `'pipeline.bridge.maxReplicas' (${partitions + 1}) must be <= 'kafka.topics.sensorData.partitions' (${partitions}): consumers beyond the partition count idle`,
    ),
    msg,
  );
});

void test('changing numHistoryShards against the deployed value is refused with an explanation', () => {
  const msg = errorOf(
    prod,
    { temporal: { numHistoryShards: 8192 } },
    { partitions: {}, shards: { prod: 4096 } },
  );
  assert.match(
    msg,
    /'temporal\.numHistoryShards' \(8192\) must equal the deployed value \(4096\) recorded in stacks\/config\/deployed-shards\.json/,
  );
  assert.match(msg, /fixed at creation/);
});

void test('a Kafka upgrade goes in two steps: version, then metadataVersion once recorded', () => {
  const running: DeployedRecord = {
    partitions: {},
    shards: {},
    kafka: { prod: { version: '4.3.1', metadataVersion: '4.3-IV0' } },
  };
  // Step 1: new software, old metadata version.
  const step1 = deepMerge(prod, { kafka: { version: '4.4.0' } });
  assert.equal(validateConfig(step1, running).kafka.version, '4.4.0');
  // Both at once: the metadata version would be above what the brokers run.
  assert.match(
    errorOf(prod, { kafka: { version: '4.4.0', metadataVersion: '4.4-IV0' } }, running),
    /'kafka\.metadataVersion' \(4\.4-IV0\) must not be above the running Kafka \(4\.3\.1, recorded in stacks\/config\/deployed-kafka\.json\): upgrade in two steps/,
  );
  // Step 2, after step 1 is applied and recorded.
  const upgraded: DeployedRecord = {
    ...running,
    kafka: { prod: { version: '4.4.0', metadataVersion: '4.3-IV0' } },
  };
  const step2 = deepMerge(prod, { kafka: { version: '4.4.0', metadataVersion: '4.4-IV0' } });
  assert.equal(validateConfig(step2, upgraded).kafka.metadataVersion, '4.4-IV0');
  // Never down, and never software older than the cluster's metadata.
  const done: DeployedRecord = {
    ...running,
    kafka: { prod: { version: '4.4.0', metadataVersion: '4.4-IV0' } },
  };
  assert.match(
    errorOf(prod, { kafka: { version: '4.4.0', metadataVersion: '4.3-IV0' } }, done),
    /'kafka\.metadataVersion' \(4\.3-IV0\) must not be below the deployed metadata version \(4\.4-IV0/,
  );
  assert.match(
    errorOf(prod, { kafka: { version: '4.3.1', metadataVersion: '4.4-IV0' } }, done),
    /'kafka\.version' \(4\.3\.1\) must not be below the deployed metadata version \(4\.4-IV0/,
  );
});

void test('numHistoryShards must be a power of two', () => {
  assert.match(
    errorOf(dev, { temporal: { numHistoryShards: 100 } }),
    /'temporal\.numHistoryShards' \(100\) must be a power of two/,
  );
});

void test('an even KRaft controller count is refused', () => {
  assert.match(
    errorOf(dev, { kafka: { controllers: { replicas: 2 } } }),
    /'kafka\.controllers\.replicas' \(2\) must be odd/,
  );
});

void test('replication factor above the broker count is refused', () => {
  assert.match(
    errorOf(dev, { kafka: { replicationFactor: 3 } }),
    /'kafka\.replicationFactor' \(3\) must be <= 'kafka\.brokers\.replicas' \(1\)/,
  );
});

void test('min.insync.replicas equal to the replication factor is refused outside dev', () => {
  assert.match(
    errorOf(staging, { kafka: { minInsyncReplicas: 3 } }),
    /'kafka\.minInsyncReplicas' \(3\) must be < 'kafka\.replicationFactor' \(3\) outside dev/,
  );
});

void test('a malformed quantity names its path and expectation', () => {
  assert.match(
    errorOf(dev, { kafka: { brokers: { storageSize: '20 GB' } } }),
    /'kafka\.brokers\.storageSize' \("20 GB"\) must be a Kubernetes quantity/,
  );
});

void test('an unknown topic key is refused', () => {
  assert.match(
    errorOf(dev, { kafka: { topics: { sensorDta: { partitions: 1, retentionHours: 1 } } } }),
    /'kafka\.topics\.sensorDta' is not a topic of workers\/shared\/topics\.ts/,
  );
});

void test('a non-integer partition count is refused', () => {
  assert.match(
    errorOf(dev, { kafka: { topics: { alerts: { partitions: 2.5 } } } }),
    /'kafka\.topics\.alerts\.partitions' \(2\.5\) must be an integer between 1 and 10000/,
  );
});

void test('a local backend outside dev is refused', () => {
  assert.match(
    errorOf(staging, { backend: { type: 'local', dir: 'x' } }),
    /'backend\.type' \("local"\) is only allowed for dev/,
  );
});

void test('an unknown backend type is refused', () => {
  assert.match(
    errorOf(dev, { backend: { type: 'ftp' } }),
    /'backend\.type' \("ftp"\) must be one of local, s3, gcs/,
  );
});

void test('a single Postgres instance is refused outside dev', () => {
  assert.match(
    errorOf(staging, { postgres: { instances: 1 } }),
    /'postgres\.instances' \(1\) must be >= 2 outside dev/,
  );
});

void test('prod without Postgres backups is refused', () => {
  assert.match(
    errorOf(prod, { postgres: { backup: { method: 'none' } } }),
    /'postgres\.backup\.method' \("none"\) is not allowed for prod/,
  );
});

void test('a restore from another cluster name, to a point in time, is accepted', () => {
  const restored = deepMerge(prod, {
    postgres: {
      restore: {
        objectStoreName: 'sensor-pg-backups',
        serverName: 'sensor-pg-before',
        targetTime: '2026-12-01T10:00:00Z',
      },
    },
  });
  assert.doesNotThrow(() => validateConfig(restored, NOTHING_DEPLOYED));
});

void test('a five-field backup schedule is refused', () => {
  assert.match(
    errorOf(staging, { postgres: { backup: { schedule: '0 3 * * *' } } }),
    /'postgres\.backup\.schedule' \("0 3 \* \* \*"\) must be a six-field cron expression/,
  );
});

void test('PgBouncer server connections beyond max_connections are refused', () => {
  assert.match(
    errorOf(prod, { postgres: { maxConnections: 500, pooler: { instances: 3, defaultPoolSize: 100 } } }),
    /'postgres\.pooler\.defaultPoolSize' \(100\) x 'postgres\.pooler\.instances' \(3\) x 3 databases = 900 server connections must be <= 'postgres\.maxConnections' \(500\) - 20 reserved/,
  );
});

void test("Temporal's connections beyond PgBouncer's max_client_conn are refused", () => {
  assert.match(
    errorOf(dev, { temporal: { maxConns: 60, maxIdleConns: 10 } }),
    /'temporal\.maxConns' \(60\) x 4 Temporal pods x 2 datastores = 480 client connections must be <= 'postgres\.pooler\.maxClientConn' \(400\) x 'postgres\.pooler\.instances' \(1\) = 400/,
  );
});

void test('maxIdleConns above maxConns is refused', () => {
  assert.match(
    errorOf(dev, { temporal: { maxIdleConns: 11 } }),
    /'temporal\.maxIdleConns' \(11\) must be <= 'temporal\.maxConns' \(10\)/,
  );
});

void test('minReplicas above maxReplicas is refused', () => {
  assert.match(
    errorOf(dev, { pipeline: { worker: { minReplicas: 4, maxReplicas: 3 } } }),
    /'pipeline\.worker\.minReplicas' \(4\) must be <= 'pipeline\.worker\.maxReplicas' \(3\)/,
  );
});

void test('a reserved application database name is refused', () => {
  assert.match(
    errorOf(dev, { postgres: { appDatabase: 'temporal' } }),
    /'postgres\.appDatabase' \("temporal"\) must not be temporal/,
  );
});

void test('an invalid namespace is refused', () => {
  assert.match(
    errorOf(dev, { namespaces: { kafka: 'Kafka_NS' } }),
    /'namespaces\.kafka' \("Kafka_NS"\) must be a DNS label/,
  );
});

void test('observability thresholds must be positive', () => {
  assert.match(
    errorOf(dev, { observability: { dlqRateAlert: 0 } }),
    /'observability\.dlqRateAlert' \(0\) must be a number > 0/,
  );
  assert.match(
    errorOf(dev, { observability: { prometheusRetention: '15 days' } }),
    /'observability\.prometheusRetention' \("15 days"\) must be a Prometheus duration/,
  );
});

void test('alert routes name receivers that exist, each with a Secret to read', () => {
  assert.match(
    errorOf(prod, { observability: { alerting: { deviceAlertTiers: ['platform-chat', 'on-call'] } } }),
    /'observability\.alerting\.deviceAlertTiers\[1\]' \("on-call"\) must be one of the receivers: platform-chat, oncall-pager/,
  );
  assert.match(
    errorOf(dev, { observability: { alerting: { platform: { critical: 'pager' } } } }),
    /'observability\.alerting\.platform\.critical' \("pager"\) must be one of the receivers: dev-chat/,
  );
  assert.match(
    errorOf(dev, {
      observability: {
        alerting: {
          receivers: { 'team-chat': { kind: 'slack', secret: { name: 'Receivers', key: 'url' } } },
        },
      },
    }),
    /'observability\.alerting\.receivers\.team-chat\.secret\.name' \("Receivers"\) must be the name of a Secret/,
  );
  assert.match(
    errorOf(dev, {
      observability: {
        alerting: {
          receivers: { 'team-chat': { kind: 'slack', secret: { name: 'receivers', key: 'url' } } },
        },
      },
    }),
    /'observability\.alerting\.receivers\.team-chat\.channel' \(undefined\) must be a Slack channel/,
  );
  assert.match(
    errorOf(dev, {
      observability: { alerting: { receivers: { pager: { kind: 'sms', secret: { name: 'r', key: 'k' } } } } },
    }),
    /'observability\.alerting\.receivers\.pager\.kind' \("sms"\) must be one of webhook, slack, pagerduty/,
  );
  assert.match(
    errorOf(staging, { observability: { alerting: { groupWait: '30 seconds' } } }),
    /'observability\.alerting\.groupWait' \("30 seconds"\) must be an Alertmanager duration/,
  );
  // A receiver of its own is not an unknown field: receivers are a map.
  validateConfig(
    deepMerge(dev, {
      observability: {
        alerting: {
          receivers: { 'team-hook': { kind: 'webhook', secret: { name: 'receivers', key: 'team-url' } } },
          deviceAlertTiers: ['dev-chat', 'team-hook'],
        },
      },
    }),
    NOTHING_DEPLOYED,
  );
});

void test('every problem is reported at once', () => {
  try {
    validateConfig(
      deepMerge(dev, { kafka: { controllers: { replicas: 2 } }, temporal: { numHistoryShards: 3 } }),
      NOTHING_DEPLOYED,
    );
    assert.fail('accepted');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues.length, 2);
  }
});

void test('loadEnvironment applies context overrides and then PLATFORM_OVERRIDES', (t) => {
  t.after(() => delete process.env.PLATFORM_OVERRIDES);
  process.env.PLATFORM_OVERRIDES = JSON.stringify({ dev: { pipeline: { image: { tag: 'sha-abc' } } } });
  const config = loadEnvironment('dev', {
    contextOverrides: { dev: { pipeline: { image: { tag: 'from-context' }, bridge: { lagThreshold: 7 } } } },
  });
  assert.equal(config.pipeline.image.tag, 'sha-abc');
  assert.equal(config.pipeline.bridge.lagThreshold, 7);
  assert.equal(config.pipeline.image.repository, dev.pipeline.image.repository);
  assert.equal(dev.pipeline.image.tag, 'dev', 'the data file must not be mutated');
});

void test('loadEnvironment validates overrides', () => {
  assert.throws(
    () =>
      loadEnvironment('dev', { contextOverrides: { dev: { pipeline: { bridge: { maxReplicas: 100 } } } } }),
    /'pipeline\.bridge\.maxReplicas' \(100\) must be <= 'kafka\.topics\.sensorData\.partitions' \(\d+\)/,
  );
});

void test('malformed PLATFORM_OVERRIDES names the variable', (t) => {
  t.after(() => delete process.env.PLATFORM_OVERRIDES);
  process.env.PLATFORM_OVERRIDES = '{not json';
  assert.throws(
    () => loadEnvironment('dev'),
    /'PLATFORM_OVERRIDES' must be a JSON object keyed by environment/,
  );
});

void test('selectEnvironments: ENVIRONMENTS wins over context, unknown names are refused', (t) => {
  t.after(() => delete process.env.ENVIRONMENTS);
  delete process.env.ENVIRONMENTS;
  assert.deepEqual(selectEnvironments(), ['dev', 'staging', 'prod']);
  assert.deepEqual(selectEnvironments('staging'), ['staging']);
  assert.deepEqual(selectEnvironments(['dev', 'prod']), ['dev', 'prod']);
  process.env.ENVIRONMENTS = 'prod';
  assert.deepEqual(selectEnvironments('dev'), ['prod']);
  process.env.ENVIRONMENTS = 'dev,qa';
  assert.throws(() => selectEnvironments(), /'ENVIRONMENTS' \("qa"\) must be one of dev, staging, prod/);
  delete process.env.ENVIRONMENTS;
  assert.throws(
    () => selectEnvironments('qa'),
    /'context\.environments' \("qa"\) must be one of dev, staging, prod/,
  );
});

/** The remaining rules, one row each: an override and the message naming its field. */
const RULES: readonly [string, EnvironmentConfig, unknown, RegExp][] = [
  ['unknown environment name', dev, { name: 'qa' }, /'name' \("qa"\) must be one of dev, staging, prod/],
  [
    's3 bucket',
    staging,
    { backend: { bucket: 'Bad_Bucket' } },
    /'backend\.bucket' \("Bad_Bucket"\) must be an S3 bucket name/,
  ],
  [
    's3 region',
    staging,
    { backend: { region: 'europe' } },
    /'backend\.region' \("europe"\) must be an AWS region/,
  ],
  [
    'gcs bucket',
    staging,
    { backend: { type: 'gcs', bucket: 'B', prefix: 'p' } },
    /'backend\.bucket' \("B"\) must be a GCS bucket name/,
  ],
  ['empty local dir', dev, { backend: { dir: '' } }, /'backend\.dir' \(""\) must be a non-empty folder name/],
  [
    'cluster name',
    dev,
    { kafka: { clusterName: 'Kafka' } },
    /'kafka\.clusterName' \("Kafka"\) must be a DNS label/,
  ],
  [
    'broker count',
    dev,
    { kafka: { brokers: { replicas: 0 } } },
    /'kafka\.brokers\.replicas' \(0\) must be an integer between 1 and 100/,
  ],
  [
    'controller memory',
    dev,
    { kafka: { controllers: { memory: '1 GiB' } } },
    /'kafka\.controllers\.memory' \("1 GiB"\) must be a Kubernetes quantity/,
  ],
  [
    'min ISR above RF',
    dev,
    { kafka: { minInsyncReplicas: 2 } },
    /'kafka\.minInsyncReplicas' \(2\) must be <= 'kafka\.replicationFactor' \(1\)/,
  ],
  [
    'retention',
    dev,
    { kafka: { topics: { parking: { retentionHours: 0 } } } },
    /'kafka\.topics\.parking\.retentionHours' \(0\) must be an integer between 1 and 8760/,
  ],
  [
    'sensor-data retention below the planned outage (issue 23, finding 6)',
    prod,
    { kafka: { topics: { sensorData: { retentionHours: 24 } } } },
    /'kafka\.topics\.sensorData\.retentionHours' \(24\) must be >= 72, the shorter of 'pipeline\.longestOutageHours' \(72\) and 'pipeline\.eventWindow\.maxEventAgeHours' \(168\): records of a bridge or workers down for the planned outage would be deleted/,
  ],
  [
    'sensor-data retention below the event window when that is shorter',
    staging,
    { kafka: { topics: { sensorData: { retentionHours: 12 } } } },
    /'kafka\.topics\.sensorData\.retentionHours' \(12\) must be >= 24, the shorter of 'pipeline\.longestOutageHours' \(72\) and 'pipeline\.eventWindow\.maxEventAgeHours' \(24\)/,
  ],
  [
    'planned outage',
    dev,
    { pipeline: { longestOutageHours: 0 } },
    /'pipeline\.longestOutageHours' \(0\) must be an integer between 1 and 8784/,
  ],
  [
    'missing topic',
    dev,
    { kafka: { topics: { parking: null } } },
    /'kafka\.topics\.parking' \(null\) must be set: every topic of workers\/shared\/topics\.ts needs a configuration/,
  ],
  [
    'postgres cluster name',
    dev,
    { postgres: { clusterName: 'pg_1' } },
    /'postgres\.clusterName' \("pg_1"\) must be a DNS label/,
  ],
  [
    'postgres storage',
    dev,
    { postgres: { walStorageSize: 'lots' } },
    /'postgres\.walStorageSize' \("lots"\) must be a Kubernetes quantity/,
  ],
  [
    'max_connections',
    dev,
    { postgres: { maxConnections: 10 } },
    /'postgres\.maxConnections' \(10\) must be an integer between 30 and 10000/,
  ],
  [
    'app database identifier',
    dev,
    { postgres: { appDatabase: 'Sensor-DB' } },
    /'postgres\.appDatabase' \("Sensor-DB"\) must be a lowercase Postgres identifier/,
  ],
  [
    'pooler instances',
    dev,
    { postgres: { pooler: { instances: 0 } } },
    /'postgres\.pooler\.instances' \(0\) must be an integer between 1 and 20/,
  ],
  [
    'snapshot class',
    staging,
    { postgres: { backup: { snapshotClassName: 'CSI' } } },
    /'postgres\.backup\.snapshotClassName' \("CSI"\) must be a VolumeSnapshotClass name/,
  ],
  [
    'object store',
    prod,
    { postgres: { backup: { objectStoreName: '' } } },
    /'postgres\.backup\.objectStoreName' \(""\) must be an ObjectStore name/,
  ],
  [
    'object store path',
    prod,
    { postgres: { backup: { destinationPath: 'bucket/pg' } } },
    /'postgres\.backup\.destinationPath' \("bucket\/pg"\) must be an object store path: s3:\/\/bucket\/path/,
  ],
  [
    'object store retention',
    prod,
    { postgres: { backup: { retentionPolicy: '30 days' } } },
    /'postgres\.backup\.retentionPolicy' \("30 days"\) must be days, weeks or months such as 30d/,
  ],
  [
    'object store endpoint',
    prod,
    { postgres: { backup: { endpointUrl: 'minio:9000' } } },
    /'postgres\.backup\.endpointUrl' \("minio:9000"\) must be an https:\/\/ URL/,
  ],
  [
    'restore time',
    prod,
    {
      postgres: { restore: { objectStoreName: 'old', serverName: 'old-pg', targetTime: '2026-12-01 10:00' } },
    },
    /'postgres\.restore\.targetTime' \("2026-12-01 10:00"\) must be an RFC 3339 time with a zone/,
  ],
  [
    'restore into its own archive',
    prod,
    {
      postgres: { restore: { objectStoreName: 'sensor-pg-backups', serverName: prod.postgres.clusterName } },
    },
    /'postgres\.restore\.serverName' \(".*"\) must differ from 'postgres\.clusterName'/,
  ],
  [
    'backup method',
    dev,
    { postgres: { backup: { method: 'pg_dump' } } },
    /'postgres\.backup\.method' \("pg_dump"\) must be one of none, volumeSnapshot, barmanCloudPlugin/,
  ],
  [
    'history replicas',
    dev,
    { temporal: { replicas: { history: 0 } } },
    /'temporal\.replicas\.history' \(0\) must be an integer between 1 and 100/,
  ],
  [
    'web replicas',
    dev,
    { temporal: { webReplicas: -1 } },
    /'temporal\.webReplicas' \(-1\) must be an integer between 0 and 10/,
  ],
  [
    'web write actions not a boolean',
    dev,
    { temporal: { webWriteActions: 'yes' } },
    /'temporal\.webWriteActions' \("yes"\) must be true or false/,
  ],
  [
    'web login with an http issuer and a wrong callback path',
    dev,
    {
      temporal: {
        webAuth: {
          issuerUrl: 'http://sso.example',
          clientId: 'temporal-web',
          clientSecret: { name: 'oidc', key: 'secret' },
          callbackUrl: 'https://temporal.example/callback',
        },
      },
    },
    /'temporal\.webAuth\.issuerUrl' \("http:\/\/sso\.example"\) must be an https URL[\s\S]*'temporal\.webAuth\.callbackUrl' \("https:\/\/temporal\.example\/callback"\) must end with \/auth\/sso\/callback/,
  ],
  [
    'retention days',
    dev,
    { temporal: { retentionDays: 0 } },
    /'temporal\.retentionDays' \(0\) must be an integer between 1 and 3650/,
  ],
  [
    'image tag',
    dev,
    { pipeline: { image: { tag: 'has space' } } },
    /'pipeline\.image\.tag' \("has space"\) must be an OCI image tag/,
  ],
  [
    'worker cpu',
    dev,
    { pipeline: { worker: { cpu: 'two' } } },
    /'pipeline\.worker\.cpu' \("two"\) must be a Kubernetes quantity/,
  ],
  [
    'lag threshold',
    dev,
    { pipeline: { bridge: { lagThreshold: 0 } } },
    /'pipeline\.bridge\.lagThreshold' \(0\) must be an integer between 1 and infinity/,
  ],
  [
    'target queue size',
    dev,
    { pipeline: { worker: { targetQueueSize: 1.5 } } },
    /'pipeline\.worker\.targetQueueSize' \(1\.5\) must be an integer/,
  ],
  [
    'deployment name',
    dev,
    { pipeline: { worker: { deploymentName: 'Sensor Worker' } } },
    /'pipeline\.worker\.deploymentName' \("Sensor Worker"\) must be a DNS label/,
  ],
  [
    'build id',
    dev,
    { pipeline: { worker: { buildId: 'a/b' } } },
    /'pipeline\.worker\.buildId' \("a\/b"\) must be a build ID/,
  ],
  [
    'worker pool size',
    dev,
    { pipeline: { worker: { databasePoolSize: 0 } } },
    /'pipeline\.worker\.databasePoolSize' \(0\) must be an integer between 1 and 1000/,
  ],
  [
    'worker and Temporal connections beyond the pooler',
    dev,
    // maxReplicas pinned: dev's own comes from the calibration and moves with it.
    { pipeline: { worker: { minReplicas: 1, maxReplicas: 3, databasePoolSize: 200 } } },
    /'pipeline\.worker\.maxReplicas' \(3\) x 'pipeline\.worker\.databasePoolSize' \(200\) = 600 worker connections \+ 80 Temporal connections must be <= the pooler's 400 client connections/,
  ],
  [
    'lag alert',
    dev,
    { observability: { consumerLagAlert: 0 } },
    /'observability\.consumerLagAlert' \(0\) must be an integer/,
  ],
  [
    'schedule-to-start alert',
    dev,
    { observability: { scheduleToStartAlertSeconds: -1 } },
    /'observability\.scheduleToStartAlertSeconds' \(-1\) must be a number > 0/,
  ],
];

for (const [name, base, override, expected] of RULES) {
  void test(`rule: ${name}`, () => {
    assert.match(errorOf(base, override), expected);
  });
}

void test('loadEnvironment refuses an unknown environment and non-object overrides', () => {
  assert.throws(
    () => loadEnvironment('qa' as 'dev'),
    /'environment' \("qa"\) must be one of dev, staging, prod/,
  );
  assert.throws(
    () => loadEnvironment('dev', { contextOverrides: '[1]' }),
    /'context\.overrides' \(\[1\]\) must be a JSON object keyed by environment/,
  );
});

void test('Postgres and PgBouncer images must be pinned by tag or digest', () => {
  for (const [override, path, value] of [
    [
      { postgres: { imageName: 'ghcr.io/cloudnative-pg/postgresql' } },
      'postgres.imageName',
      'ghcr.io/cloudnative-pg/postgresql',
    ],
    [
      { postgres: { imageName: 'ghcr.io/cloudnative-pg/postgresql:latest' } },
      'postgres.imageName',
      'ghcr.io/cloudnative-pg/postgresql:latest',
    ],
    [
      { postgres: { pooler: { imageName: 'PgBouncer:1.25' } } },
      'postgres.pooler.imageName',
      'PgBouncer:1.25',
    ],
  ] as const) {
    const escaped = `'${path}' ("${value}")`.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    assert.match(
      errorOf(prod, override),
      new RegExp(`${escaped} must be an image with a tag or digest, not :latest`),
    );
  }
  const byDigest = `ghcr.io/cloudnative-pg/postgresql@sha256:${'a'.repeat(64)}`;
  assert.equal(
    validateConfig(deepMerge(prod, { postgres: { imageName: byDigest } }), NOTHING_DEPLOYED).postgres
      .imageName,
    byDigest,
  );
  const withPort = 'registry.local:5000/pg/postgresql:18.4';
  assert.equal(
    validateConfig(deepMerge(dev, { postgres: { imageName: withPort } }), NOTHING_DEPLOYED).postgres
      .imageName,
    withPort,
  );
});

void test('a Temporal upgrade goes one minor version at a time from the deployed version, never down', () => {
  const running: DeployedRecord = { partitions: {}, shards: {}, temporal: { prod: '1.30.1' } };
  // The same minor or the next is accepted, with a chart for it.
  assert.equal(validateConfig(prod, running).temporal.version, '1.31.2');
  // Two minors at once: refused, naming the field, its value and what it may be.
  const skipped: DeployedRecord = { ...running, temporal: { prod: '1.29.4' } };
  assert.match(
    errorOf(prod, {}, skipped),
    /'temporal\.version' \(1\.31\.2\) must be 1\.29\.x or 1\.30\.x: the cluster runs 1\.29\.4 \(recorded in stacks\/config\/deployed-temporal\.json\), and Temporal upgrades one minor version at a time/,
  );
  // Down: refused.
  const newer: DeployedRecord = { ...running, temporal: { prod: '1.31.3' } };
  assert.match(
    errorOf(prod, {}, newer),
    /'temporal\.version' \(1\.31\.2\) must not be below the deployed version \(1\.31\.3, recorded in stacks\/config\/deployed-temporal\.json\)/,
  );
  // A version without a chart: refused with the versions that have one.
  assert.match(
    errorOf(prod, { temporal: { version: '1.32.0' } }),
    /'temporal\.version' \("1\.32\.0"\) must be a server version with a chart in stacks\/lib\/temporal-releases\.ts: 1\.31\.2/,
  );
});
