import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadBridgeConfig, loadWorkerConfig } from '../../workers/config.js';
import { TOPICS } from '../../workers/shared/topics.js';

test('defaults point at the local stack and the shared names', () => {
  const config = loadBridgeConfig({});
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:19092']);
  assert.equal(config.topics.sensorData, TOPICS.sensorData);
  assert.equal(config.maxBatchEvents, 1000);
});

const BAD: [string, Record<string, string>, RegExp][] = [
  [
    'batch size not a number',
    { BRIDGE_MAX_BATCH_EVENTS: 'lots' },
    /BRIDGE_MAX_BATCH_EVENTS="lots": expected an integer between 1 and 10000/,
  ],
  ['batch size too large', { BRIDGE_MAX_BATCH_EVENTS: '50000' }, /between 1 and 10000/],
  ['broker without port', { KAFKA_BROKERS: 'kafka' }, /KAFKA_BROKERS: 'kafka' is not host:port/],
  [
    'unknown SASL mechanism',
    { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p', KAFKA_SASL_MECHANISM: 'gssapi' },
    /KAFKA_SASL_MECHANISM=gssapi/,
  ],
  ['SASL user without password', { KAFKA_SASL_USERNAME: 'u' }, /KAFKA_SASL_PASSWORD is required/],
  ['rules not JSON', { ALERT_RULES: '[{' }, /ALERT_RULES: not valid JSON/],
  [
    'rule with unknown reading',
    { ALERT_RULES: '[{"name":"x","reading":"co2","direction":"above","threshold":1,"hysteresis":0}]' },
    /ALERT_RULES\[0\]\.reading: expected one of/,
  ],
  [
    'rule defined twice',
    {
      ALERT_RULES:
        '[{"name":"x","reading":"battery","direction":"below","threshold":1,"hysteresis":0},{"name":"x","reading":"battery","direction":"below","threshold":1,"hysteresis":0}]',
    },
    /ALERT_RULES\[1\]\.name: 'x' is defined twice/,
  ],
  ['unknown failpoint', { BRIDGE_FAILPOINT: 'explode' }, /BRIDGE_FAILPOINT=explode/],
];

for (const [name, env, message] of BAD) {
  test(`bridge config rejects ${name}`, () => {
    assert.throws(
      () => loadBridgeConfig(env),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
    );
  });
}

test('worker config rejects a bad escalation policy', () => {
  assert.throws(
    () => loadWorkerConfig({ ALERT_ESCALATION: '{"tiersMs":[0]}' }),
    /ALERT_ESCALATION\.tiersMs: expected an array of positive integers/,
  );
});
