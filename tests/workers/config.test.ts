import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadBridgeConfig, loadWorkerConfig } from '../../workers/config.js';
import { TOPICS } from '../../workers/shared/topics.js';
import { createTestPki } from '../../local/lib/pki.js';

test('defaults point at the local stack and the shared names', () => {
  const config = loadBridgeConfig({});
  assert.deepEqual(config.kafka.brokers, ['127.0.0.1:19092']);
  assert.equal(config.topics.sensorData, TOPICS.sensorData);
  assert.equal(config.maxBatchEvents, 10_000);
  assert.equal(config.maxBatchWaitMs, 1000);
  assert.equal(config.logLevel, 'info');
});

const BAD: [string, Record<string, string>, RegExp][] = [
  [
    'batch size not a number',
    { BRIDGE_MAX_BATCH_EVENTS: 'lots' },
    /BRIDGE_MAX_BATCH_EVENTS="lots": expected an integer between 1 and 50000/,
  ],
  ['batch size too large', { BRIDGE_MAX_BATCH_EVENTS: '50001' }, /between 1 and 50000/],
  ['broker without port', { KAFKA_BROKERS: 'kafka' }, /KAFKA_BROKERS: 'kafka' is not host:port/],
  ['log level unknown', { LOG_LEVEL: 'verbose' }, /LOG_LEVEL=verbose: expected debug, info, warn, error/],
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

test('ledger retention: max event age + 1 day by default, 0 disables, never below what the bridge accepts', () => {
  const DAY = 24 * 3600_000;
  assert.deepEqual(loadWorkerConfig({}).ledgerRetention, {
    retentionMs: 8 * DAY,
    auditRetentionMs: 30 * DAY,
    intervalMs: 3600_000,
  });
  assert.equal(loadWorkerConfig({ MAX_EVENT_AGE_MS: String(DAY) }).ledgerRetention?.retentionMs, 2 * DAY);
  assert.equal(loadWorkerConfig({ LEDGER_RETENTION_MS: '0' }).ledgerRetention, undefined);
  assert.throws(
    () => loadWorkerConfig({ LEDGER_RETENTION_MS: String(7 * DAY) }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /LEDGER_RETENTION_MS=604800000: expected 0 \(never prune\) or at least MAX_EVENT_AGE_MS \(604800000\) \+ MAX_CLOCK_SKEW_MS \(300000\) \+ 1 h = 608700000/.test(
        err.message,
      ),
  );
  assert.throws(
    () => loadWorkerConfig({ LEDGER_PRUNE_INTERVAL_MS: '1000' }),
    /LEDGER_PRUNE_INTERVAL_MS="1000"/,
  );
});

test('audit retention: batch records 30 days by default, set apart from the ledger, never shorter than it', () => {
  const DAY = 24 * 3600_000;
  const set = (env: Record<string, string>) => loadWorkerConfig(env).ledgerRetention?.auditRetentionMs;
  assert.equal(set({ AUDIT_RETENTION_MS: String(90 * DAY) }), 90 * DAY);
  assert.equal(
    set({ MAX_EVENT_AGE_MS: String(40 * DAY) }),
    41 * DAY,
    'a ledger longer than 30 days sets the floor',
  );
  assert.equal(set({ AUDIT_RETENTION_MS: String(8 * DAY) }), 8 * DAY, 'the same window for both');
  assert.throws(
    () => loadWorkerConfig({ AUDIT_RETENTION_MS: String(7 * DAY) }),
    (err: unknown) =>
      err instanceof ConfigError &&
      /AUDIT_RETENTION_MS=604800000: expected at least LEDGER_RETENTION_MS \(691200000\)/.test(err.message),
  );
});

/** A real CA and a certificate it signed (openssl), as cert-manager would mount them. */
function withPemFiles(run: (dir: string) => void): void {
  const pki = createTestPki('config-tls-');
  try {
    pki.sign('tls', 'test', 'extendedKeyUsage=clientAuth\n');
    writeFileSync(pki.path('not-pem.txt'), 'hello');
    run(dirname(pki.path('ca.crt')));
  } finally {
    pki.remove();
  }
}

test('TLS settings: the Kafka CA and the Temporal client certificate are read from the mounted files', () => {
  withPemFiles((dir) => {
    const config = loadWorkerConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_PATH: join(dir, 'ca.crt'),
      TEMPORAL_TLS_CA_PATH: join(dir, 'ca.crt'),
      TEMPORAL_TLS_CERT_PATH: join(dir, 'tls.crt'),
      TEMPORAL_TLS_KEY_PATH: join(dir, 'tls.key'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal-frontend.temporal.svc',
    });
    assert.equal(config.kafka.ssl, true);
    assert.equal(config.kafka.sslCa, readFileSync(join(dir, 'ca.crt'), 'utf8'));
    assert.deepEqual(config.temporal.tls?.ca, readFileSync(join(dir, 'ca.crt')));
    assert.deepEqual(config.temporal.tls?.clientCert?.key, readFileSync(join(dir, 'tls.key')));
    assert.equal(config.temporal.tls?.serverName, 'temporal-frontend.temporal.svc');
  });
  // Without the variables: plaintext to Temporal, system CAs for Kafka (the local stack).
  const plain = loadBridgeConfig({});
  assert.equal(plain.temporal.tls, undefined);
  assert.equal(plain.kafka.sslCa, undefined);
});

test('TLS settings: bad combinations and unreadable files stop the process naming the variable', () => {
  withPemFiles((dir) => {
    const bad: [Record<string, string>, RegExp][] = [
      [{ KAFKA_SSL_CA_PATH: join(dir, 'ca.crt') }, /KAFKA_SSL_CA_PATH is set but KAFKA_SSL is not true/],
      [
        { KAFKA_SSL: 'true', KAFKA_SSL_CA_PATH: join(dir, 'missing.crt') },
        /KAFKA_SSL_CA_PATH=.*missing\.crt: cannot read \(ENOENT\)/,
      ],
      [{ TEMPORAL_TLS_CA_PATH: join(dir, 'not-pem.txt') }, /TEMPORAL_TLS_CA_PATH=.*: not a PEM file/],
      [
        { TEMPORAL_TLS_CERT_PATH: join(dir, 'tls.crt') },
        /TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH go together/,
      ],
    ];
    for (const [env, message] of bad) {
      assert.throws(
        () => loadBridgeConfig(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
        JSON.stringify(env),
      );
    }
  });
});

test('KAFKA_COMPRESSION: lz4 by default, each Kafka codec by name, anything else names the choices', () => {
  assert.equal(loadBridgeConfig({}).kafka.compression, 'lz4');
  for (const codec of ['none', 'gzip', 'snappy', 'lz4'])
    assert.equal(loadWorkerConfig({ KAFKA_COMPRESSION: codec }).kafka.compression, codec);
  assert.throws(
    () => loadBridgeConfig({ KAFKA_COMPRESSION: 'brotli' }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message === 'KAFKA_COMPRESSION=brotli: expected none, gzip, snappy, lz4, zstd',
  );
});

test('TLS renewal: the files read at start are watched, with the check period and restart delay', () => {
  assert.equal(loadWorkerConfig({}).tlsReload, undefined, 'no TLS files, nothing to watch');
  withPemFiles((dir) => {
    const config = loadBridgeConfig({
      KAFKA_SSL: 'true',
      KAFKA_SSL_CA_PATH: join(dir, 'ca.crt'),
      TEMPORAL_TLS_CERT_PATH: join(dir, 'tls.crt'),
      TEMPORAL_TLS_KEY_PATH: join(dir, 'tls.key'),
      TLS_RELOAD_JITTER_MS: '5000',
    });
    assert.deepEqual(config.tlsReload, {
      files: [join(dir, 'tls.crt'), join(dir, 'tls.key'), join(dir, 'ca.crt')],
      checkMs: 30_000,
      jitterMs: 5000,
    });
  });
  withPemFiles((dir) =>
    assert.throws(
      () => loadWorkerConfig({ TEMPORAL_TLS_CA_PATH: join(dir, 'ca.crt'), TLS_RELOAD_CHECK_MS: '10' }),
      /TLS_RELOAD_CHECK_MS="10"/,
    ),
  );
});
