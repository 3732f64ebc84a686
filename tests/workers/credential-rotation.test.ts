/**
 * Credentials mounted as files are read again for each new connection (the charts mount the Kafka
 * user's and the database role's Secrets): a rotated password is used without a restart. On the
 * real local broker (SCRAM) and Postgres.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import {
  LOCAL_KAFKA_SASL_MECHANISM,
  LOCAL_KAFKA_USERS,
  loadStackConfig,
  type StackEndpoints,
} from '../../local/config.js';
import { psql } from '../../local/postgres.js';
import { stack, uniqueId } from '../../local/testing/test-stack.js';
import { loadWorkerConfig } from '../../workers/config.js';
import { postgresPoolOptions } from '../../workers/db/pool-options.js';
import { kafkaConfig } from '../../workers/lib/kafka-client.js';
import { createLogger } from '../../workers/lib/logger.js';

let ep: StackEndpoints;
let dir: string;

before(async () => {
  ep = await stack();
  dir = mkdtempSync(join(tmpdir(), 'credentials-'));
});

after(() => rmSync(dir, { recursive: true, force: true }));

void test('Kafka: the SASL password file is read at each authentication, not once at start', async () => {
  const file = join(dir, 'kafka-password');
  const { username, password } = LOCAL_KAFKA_USERS.worker;
  writeFileSync(file, `${password}\n`);
  const config = loadWorkerConfig({
    KAFKA_BROKERS: ep.kafkaBrokers.join(','),
    KAFKA_SASL_MECHANISM: LOCAL_KAFKA_SASL_MECHANISM,
    KAFKA_SASL_USERNAME: username,
    KAFKA_SASL_PASSWORD_FILE: file,
  });
  const kafka = new Kafka({
    ...kafkaConfig(config.kafka, createLogger('credential-rotation', 'error')),
    // The refused authentication below is expected: keep it out of the test's output.
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 3000,
    authenticationTimeout: 3000,
  });
  const connectAndList = async () => {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  await connectAndList();
  // The Secret changes under the running process: the next connection uses the file's new content.
  writeFileSync(file, 'a-password-the-broker-does-not-know\n');
  await assert.rejects(connectAndList(), /SASL SCRAM SHA512 authentication failed/);
  writeFileSync(file, password);
  await connectAndList();
});

void test('Postgres: a role password rotated in the database and in the mounted file is used by the next connection of the same pool', async () => {
  const role = uniqueId('rot').toLowerCase();
  const stackConfig = loadStackConfig();
  await psql(stackConfig, `CREATE ROLE ${role} LOGIN PASSWORD 'first-${role}'`);
  const creds = join(dir, 'database');
  const write = (values: Record<string, string>) => {
    for (const [k, v] of Object.entries(values)) writeFileSync(join(creds, k), v);
  };
  mkdirSync(creds);
  write({
    host: ep.postgres.host,
    port: String(ep.postgres.port),
    dbname: 'postgres',
    username: role,
    password: `first-${role}`,
    sslmode: 'disable',
  });
  const config = loadWorkerConfig({ DATABASE_CREDENTIALS_DIR: creds });
  const pool = new pg.Pool({ ...postgresPoolOptions(config, 1), idleTimeoutMillis: 0 });
  // A fresh server connection each time: the pooled one would stay authenticated.
  const freshQuery = async () => {
    const client = await pool.connect();
    try {
      const { rows } = await client.query<{ who: string }>('SELECT current_user AS who');
      return rows[0]!.who;
    } finally {
      client.release(true);
    }
  };
  try {
    assert.equal(await freshQuery(), role);
    await psql(stackConfig, `ALTER ROLE ${role} PASSWORD 'second-${role}'`);
    await assert.rejects(freshQuery(), /password authentication failed/);
    write({ password: `second-${role}\n` });
    assert.equal(await freshQuery(), role);
  } finally {
    await pool.end();
    await psql(stackConfig, `DROP ROLE IF EXISTS ${role}`);
  }
});

void test('configuration: a password file and a password at once, or a credentials folder missing a key, stop the process by name', () => {
  assert.throws(
    () =>
      loadWorkerConfig({
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
        KAFKA_SASL_PASSWORD_FILE: join(dir, 'kafka-password'),
      }),
    /KAFKA_SASL_PASSWORD_FILE and KAFKA_SASL_PASSWORD are both set/,
  );
  const empty = mkdtempSync(join(dir, 'empty-'));
  writeFileSync(join(empty, 'host'), 'h');
  assert.throws(
    () => loadWorkerConfig({ DATABASE_CREDENTIALS_DIR: empty }),
    /DATABASE_CREDENTIALS_DIR=.*: no port, dbname, username, password in it/,
  );
});
