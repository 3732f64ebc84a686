import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaTopic } from '../../../stacks/constructs/kafka-topic.js';
import type { KafkaConnection } from '../../../stacks/lib/connections.js';
import { TOPICS } from '../../../workers/shared/topics.js';
import { manifests, only, synth } from '../helpers.js';

const kafka: KafkaConnection = {
  clusterName: 'k',
  namespace: 'kafka',
  bootstrapServers: 'k-kafka-bootstrap.kafka.svc:9092',
  saslMechanism: 'scram-sha-512',
  tls: true,
  userNamespace: 'apps',
};

void test('KafkaTopic carries partitions, replicas, retention and the cluster label', () => {
  const json = synth(
    (s) => new KafkaTopic(s, 't', { kafka, topicName: TOPICS.sensorData, partitions: 48, retentionHours: 2 }),
  );
  const topic = only(manifests(json, 'KafkaTopic'), 'KafkaTopic');
  assert.equal(topic.metadata.name, 'sensor-data');
  assert.equal(topic.metadata.namespace, 'kafka');
  assert.equal(topic.metadata.labels?.['strimzi.io/cluster'], 'k');
  assert.equal(topic.spec.partitions, 48);
  assert.equal(topic.spec.replicas, 3);
  assert.equal(topic.spec.config['retention.ms'], 7_200_000);
  assert.equal(topic.spec.config['min.insync.replicas'], 2);
});

void test('validation: partitions and min ISR', () => {
  assert.throws(
    () => synth((s) => new KafkaTopic(s, 't', { kafka, topicName: 'x', partitions: 0 })),
    /'partitions' \(0\) of topic 'x' must be an integer >= 1/,
  );
  assert.throws(
    () => synth((s) => new KafkaTopic(s, 't', { kafka, topicName: 'x', partitions: 1, replicas: 1 })),
    /'minInsyncReplicas' \(2\) of topic 'x' must be <= 'replicas' \(1\)/,
  );
});
