import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StrimziKafka, type StrimziKafkaProps } from '../../../stacks/constructs/strimzi-kafka.js';
import { manifests, only, synth } from '../helpers.js';

const pool = { replicas: 3, storageSize: '100Gi', cpu: '1', memory: '4Gi' };
const base: StrimziKafkaProps = {
  clusterName: 'k',
  namespace: 'kafka',
  userNamespace: 'apps',
  clientNamespaces: ['apps'],
  brokers: pool,
  controllers: pool,
  listenerCertificateIssuer: { kind: 'ClusterIssuer' as const, name: 'platform-ca' },
};

void test('KRaft: separate controller and broker node pools labelled with the cluster', () => {
  const json = synth((s) => new StrimziKafka(s, 'kafka', base));
  const pools = manifests(json, 'KafkaNodePool');
  assert.deepEqual(pools.map((p) => p.spec.roles).sort(), [['broker'], ['controller']]);
  for (const p of pools) {
    assert.equal(p.apiVersion, 'kafka.strimzi.io/v1');
    assert.equal(p.metadata.labels?.['strimzi.io/cluster'], 'k');
    assert.equal(p.spec.storage.volumes[0].kraftMetadata, 'shared');
    assert.equal(p.spec.replicas, 3);
  }
});

void test('Kafka 4.3.1, rack awareness, SCRAM listeners, authorization, exporter and metrics', () => {
  const kafka = only(
    manifests(
      synth((s) => new StrimziKafka(s, 'kafka', base)),
      'Kafka',
    ),
    'Kafka',
  );
  const spec = kafka.spec.kafka;
  assert.equal(spec.version, '4.3.1');
  assert.equal(spec.metadataVersion, '4.3-IV0');
  assert.deepEqual(spec.rack, { type: 'topology-label', topologyKey: 'topology.kubernetes.io/zone' });
  assert.ok(
    spec.listeners.every(
      (l: { authentication: { type: string } }) => l.authentication.type === 'scram-sha-512',
    ),
  );
  assert.equal(spec.authorization.type, 'simple');
  assert.equal(spec.metricsConfig.type, 'strimziMetricsReporter');
  assert.equal(spec.config['min.insync.replicas'], 2);
  assert.equal(spec.config['auto.create.topics.enable'], false);
  assert.deepEqual(kafka.spec.kafkaExporter, { topicRegex: '.*', groupRegex: '.*' });
  assert.equal(kafka.spec.entityOperator.userOperator.watchedNamespace, 'apps');
  assert.equal(spec.replicas, undefined, 'replicas belong to node pools in v1');
});

void test('Cruise Control auto-rebalance references two rebalance templates', () => {
  const json = synth((s) => new StrimziKafka(s, 'kafka', base));
  const kafka = only(manifests(json, 'Kafka'), 'Kafka');
  const templates = manifests(json, 'KafkaRebalance');
  assert.deepEqual(
    kafka.spec.cruiseControl.autoRebalance.map((r: { mode: string; template: { name: string } }) => [
      r.mode,
      r.template.name,
    ]),
    [
      ['add-brokers', 'k-add-brokers'],
      ['remove-brokers', 'k-remove-brokers'],
    ],
  );
  assert.deepEqual(templates.map((t) => t.metadata.name).sort(), ['k-add-brokers', 'k-remove-brokers']);
  for (const t of templates) assert.equal(t.metadata.annotations?.['strimzi.io/rebalance-template'], 'true');
});

void test('cruiseControl: false leaves Cruise Control and templates out', () => {
  const json = synth((s) => new StrimziKafka(s, 'kafka', { ...base, cruiseControl: false }));
  assert.equal(only(manifests(json, 'Kafka'), 'Kafka').spec.cruiseControl, undefined);
  assert.equal(manifests(json, 'KafkaRebalance').length, 0);
});

void test('connection points clients at the TLS + SCRAM bootstrap service', () => {
  let kafka: StrimziKafka | undefined;
  synth((s) => (kafka = new StrimziKafka(s, 'kafka', base)));
  assert.deepEqual(kafka!.connection, {
    clusterName: 'k',
    namespace: 'kafka',
    bootstrapServers: 'k-kafka-bootstrap.kafka.svc:9093',
    saslMechanism: 'scram-sha-512',
    tls: true,
    userNamespace: 'apps',
  });
});

void test('one client listener, TLS with a certificate from the platform CA covering bootstrap and every broker', () => {
  const json = synth((s) => new StrimziKafka(s, 'kafka', base));
  const kafka = only(manifests(json, 'Kafka'), 'Kafka');
  const cert = only(manifests(json, 'Certificate'), 'Certificate');
  assert.deepEqual(
    kafka.spec.kafka.listeners.map((l: { name: string; port: number; tls: boolean }) => [
      l.name,
      l.port,
      l.tls,
    ]),
    [['tls', 9093, true]],
    'no plaintext listener',
  );
  assert.deepEqual(kafka.spec.kafka.listeners[0].configuration.brokerCertChainAndKey, {
    secretName: cert.spec.secretName,
    certificate: 'tls.crt',
    key: 'tls.key',
  });
  assert.equal(cert.metadata.namespace, 'kafka');
  // Strimzi requires PKCS#8 keys for custom listener certificates.
  assert.equal(cert.spec.privateKey.encoding, 'PKCS8');
  assert.ok(cert.spec.dnsNames.includes('k-kafka-bootstrap.kafka.svc'));
  assert.ok(cert.spec.dnsNames.includes('*.k-kafka-brokers.kafka.svc'));
  assert.ok(cert.spec.usages.includes('server auth'));
});

void test('validation: min ISR above replication factor, replication factor above brokers', () => {
  assert.throws(
    () => synth((s) => new StrimziKafka(s, 'k', { ...base, minInsyncReplicas: 4 })),
    /'minInsyncReplicas' \(4\) must be <= 'replicationFactor' \(3\)/,
  );
  assert.throws(
    () => synth((s) => new StrimziKafka(s, 'k', { ...base, brokers: { ...pool, replicas: 2 } })),
    /'replicationFactor' \(3\) must be <= 'brokers\.replicas' \(2\)/,
  );
});
