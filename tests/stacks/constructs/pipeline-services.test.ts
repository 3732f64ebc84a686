/** stacks/constructs/ingest-bridge.ts and sensor-worker.ts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { IngestBridge, type IngestBridgeProps } from '../../../stacks/constructs/ingest-bridge.js';
import { SensorWorker, type SensorWorkerProps } from '../../../stacks/constructs/sensor-worker.js';
import type { KafkaConnection, TemporalConnection } from '../../../stacks/lib/connections.js';
import { loadBridgeConfig, loadWorkerConfig } from '../../../workers/config.js';
import { METRICS_PORTS } from '../../../workers/shared/metrics.js';
import { TASK_QUEUE } from '../../../workers/shared/temporal.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../../workers/shared/topics.js';
import { manifests, only, resources, synth } from '../helpers.js';

const kafka: KafkaConnection = {
  clusterName: 'k',
  namespace: 'kafka',
  bootstrapServers: 'k-kafka-bootstrap.kafka.svc:9092',
  saslMechanism: 'scram-sha-512',
  tls: true,
  userNamespace: 'apps',
};
const temporal: TemporalConnection = {
  address: 'temporal-frontend.temporal.svc:7233',
  namespace: 'sensor-pipeline',
  releaseNamespace: 'temporal',
  tls: { serverName: 'temporal-frontend.temporal.svc', requireClientCertificate: true },
};
const issuer = { kind: 'ClusterIssuer' as const, name: 'platform-ca' };
const creds = (u: string) => ({
  username: u,
  secretName: u,
  passwordKey: 'password' as const,
  namespace: 'apps',
});
const bridge: IngestBridgeProps = {
  namespace: 'apps',
  chartPath: '../../charts/ingest-bridge',
  image: { repository: 'r', tag: 't' },
  kafka,
  credentials: creds('sensor-bridge'),
  lagReader: creds('lag'),
  temporal,
  issuer,
  taskQueue: TASK_QUEUE,
  monitoringNamespace: 'monitoring',
  partitions: 12,
  maxReplicas: 12,
  lagThreshold: 500,
};
const worker: SensorWorkerProps = {
  namespace: 'apps',
  chartPath: '../../charts/sensor-worker',
  image: { repository: 'r', tag: 't' },
  kafka,
  credentials: creds('sensor-worker'),
  database: {
    username: 'sensor_worker',
    database: 'sensor',
    secretName: 'pg-sensor-worker',
    namespace: 'apps',
  },
  migrations: { username: 'sensor', database: 'sensor', secretName: 'pg-sensor', namespace: 'apps' },
  postgresNamespace: 'postgres',
  temporal,
  issuer,
  taskQueue: TASK_QUEUE,
  monitoringNamespace: 'monitoring',
  versioning: { deploymentName: 'sensor-worker', buildId: '1.2.3' },
  maxReplicas: 20,
  targetQueueSize: 30,
};

void test('bridge: chart values wire Kafka SASL, Temporal and the metrics port; autoscaling on', () => {
  const json = synth((s) => new IngestBridge(s, 'b', bridge));
  const r = only(resources(json, 'helm_release'), 'helm_release') as { chart: string; values: string[] };
  assert.equal(r.chart, '../../charts/ingest-bridge');
  const v = parse(r.values[0]!);
  assert.equal(v.autoscaling.enabled, true);
  assert.equal(v.metrics.port, METRICS_PORTS.bridge);
  assert.deepEqual(v.kafka.sasl, {
    mechanism: 'scram-sha-512',
    username: 'sensor-bridge',
    existingSecret: 'sensor-bridge',
    passwordKey: 'password',
  });
  assert.deepEqual(v.temporal, {
    address: temporal.address,
    namespace: 'sensor-pipeline',
    taskQueue: TASK_QUEUE,
    tls: { enabled: true, serverName: 'temporal-frontend.temporal.svc' },
  });
  assert.equal(v.kafka.ssl, true);
  const cert = only(manifests(json, 'Certificate'), 'Certificate');
  assert.equal(v.tls.existingSecret, cert.spec.secretName);
  assert.deepEqual(cert.spec.usages, ['digital signature', 'key encipherment', 'client auth']);
  assert.equal(cert.spec.commonName, 'ingest-bridge');
  assert.equal(cert.metadata.namespace, 'apps');
});

void test('bridge: KEDA kafka trigger on the consumer group, SCRAM via TriggerAuthentication', () => {
  const json = synth((s) => new IngestBridge(s, 'b', bridge));
  const so = only(manifests(json, 'ScaledObject'), 'ScaledObject');
  assert.equal(so.spec.scaleTargetRef.name, 'ingest-bridge');
  assert.equal(so.spec.maxReplicaCount, 12);
  const trigger = so.spec.triggers[0];
  assert.equal(trigger.type, 'kafka');
  assert.equal(trigger.metadata.consumerGroup, BRIDGE_CONSUMER_GROUP);
  assert.equal(trigger.metadata.topic, TOPICS.sensorData);
  assert.equal(trigger.metadata.lagThreshold, '500');
  assert.equal(trigger.metadata.sasl, 'scram_sha512');
  assert.equal(trigger.metadata.tls, 'enable');
  const auth = only(manifests(json, 'TriggerAuthentication'), 'TriggerAuthentication');
  assert.equal(trigger.authenticationRef.name, auth.metadata.name);
  assert.deepEqual(auth.spec.secretTargetRef, [
    { parameter: 'username', name: 'lag-keda', key: 'username' },
    { parameter: 'password', name: 'lag', key: 'password' },
    { parameter: 'ca', name: 'ingest-bridge-tls', key: 'ca.crt' },
  ]);
  const secret = only(resources(json, 'kubernetes_secret_v1'), 'secret') as { data: Record<string, string> };
  assert.deepEqual(secret.data, { username: 'lag' });
});

void test('bridge: maxReplicas above partitions is refused at synth', () => {
  assert.throws(
    () => synth((s) => new IngestBridge(s, 'b', { ...bridge, maxReplicas: 13 })),
    /'maxReplicas' \(13\) must be <= 'partitions' of topic 'sensor-data' \(12\): consumers beyond the partition count idle/,
  );
  assert.throws(
    () => synth((s) => new IngestBridge(s, 'b', { ...bridge, minReplicas: 13 })),
    /'minReplicas' \(13\) must be <= 'maxReplicas' \(12\)/,
  );
  assert.throws(
    () =>
      synth(
        (s) =>
          new IngestBridge(s, 'b', { ...bridge, credentials: { ...bridge.credentials, namespace: 'kafka' } }),
      ),
    /'credentials\.namespace' \("kafka"\) must equal 'namespace' \("apps"\)/,
  );
});

void test('worker: temporal trigger on the task queue backlog; versioning and database values', () => {
  const json = synth((s) => new SensorWorker(s, 'w', worker));
  const so = only(manifests(json, 'ScaledObject'), 'ScaledObject');
  assert.equal(so.spec.scaleTargetRef.name, 'sensor-worker');
  assert.equal(so.spec.maxReplicaCount, 20);
  assert.deepEqual(so.spec.triggers[0], {
    type: 'temporal',
    metadata: {
      endpoint: temporal.address,
      namespace: 'sensor-pipeline',
      taskQueue: TASK_QUEUE,
      queueTypes: 'workflow,activity',
      targetQueueSize: '30',
      activationTargetQueueSize: '0',
      tlsServerName: 'temporal-frontend.temporal.svc',
    },
    authenticationRef: { name: 'sensor-worker-temporal' },
  });
  const auth = only(manifests(json, 'TriggerAuthentication'), 'TriggerAuthentication');
  assert.equal(auth.metadata.name, 'sensor-worker-temporal');
  assert.deepEqual(
    auth.spec.secretTargetRef.map((r: { parameter: string; key: string }) => [r.parameter, r.key]),
    [
      ['cert', 'tls.crt'],
      ['key', 'tls.key'],
      ['ca', 'ca.crt'],
    ],
  );
  const v = parse((only(resources(json, 'helm_release'), 'helm_release') as { values: string[] }).values[0]!);
  assert.deepEqual(v.versioning, { enabled: true, deploymentName: 'sensor-worker', buildId: '1.2.3' });
  // The worker's container gets its own role's Secret; the owner's goes to the migrate init container.
  assert.equal(v.database.existingSecret, 'pg-sensor-worker');
  assert.deepEqual(v.migrations, { existingSecret: 'pg-sensor', runtimeRole: 'sensor_worker' });
  assert.equal(v.database.poolSize, 10);
  assert.equal(v.database.tls, true);
  assert.equal(v.metrics.port, METRICS_PORTS.worker);
  assert.equal(v.networkPolicy.postgresNamespace, 'postgres');
});

void test('worker: validation', () => {
  assert.throws(
    () => synth((s) => new SensorWorker(s, 'w', { ...worker, targetQueueSize: 0 })),
    /'targetQueueSize' \(0\) must be an integer >= 1/,
  );
  assert.throws(
    () => synth((s) => new SensorWorker(s, 'w', { ...worker, minReplicas: 21 })),
    /'minReplicas' \(21\) must be <= 'maxReplicas' \(20\)/,
  );
  assert.throws(
    () =>
      synth(
        (s) =>
          new SensorWorker(s, 'w', { ...worker, database: { ...worker.database, namespace: 'postgres' } }),
      ),
    /'database\.namespace' \("postgres"\) must equal 'namespace' \("apps"\)/,
  );
});

void test('the event window reaches both services as environment the worker accepts', () => {
  const eventWindow = { maxEventAgeHours: 168, ledgerRetentionHours: 192, auditRetentionHours: 720 };
  const envOf = (json: ReturnType<typeof synth>) => {
    const r = only(resources(json, 'helm_release'), 'helm_release') as { values: string[] };
    const extraEnv = parse(r.values[0]!).extraEnv as { name: string; value: string }[];
    return Object.fromEntries(extraEnv.map((e) => [e.name, e.value]));
  };
  const bridgeEnv = envOf(synth((s) => new IngestBridge(s, 'b', { ...bridge, eventWindow })));
  assert.deepEqual(bridgeEnv, { MAX_EVENT_AGE_MS: String(168 * 3600_000) });
  const workerEnv = envOf(synth((s) => new SensorWorker(s, 'w', { ...worker, eventWindow })));
  assert.deepEqual(workerEnv, {
    MAX_EVENT_AGE_MS: String(168 * 3600_000),
    LEDGER_RETENTION_MS: String(192 * 3600_000),
    AUDIT_RETENTION_MS: String(720 * 3600_000),
  });
  assert.equal(loadWorkerConfig(workerEnv).ledgerRetention?.retentionMs, 192 * 3600_000);
  assert.equal(loadWorkerConfig(workerEnv).ledgerRetention?.auditRetentionMs, 720 * 3600_000);
  assert.equal(loadBridgeConfig(bridgeEnv).maxEventAgeMs, 168 * 3600_000);
  // Without a window the charts add nothing and the services keep their own defaults.
  assert.deepEqual(envOf(synth((s) => new SensorWorker(s, 'w', worker))), {});
});
