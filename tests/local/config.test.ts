import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadStackConfig } from '../../local/config.js';

test('ports default to non-standard ones and move with their variables', () => {
  const config = loadStackConfig({ STACK_KAFKA_PORT: '29092' });
  assert.equal(config.kafka.port.port, 29092);
  assert.equal(config.postgres.port.port, 15432);
  assert.equal(config.temporal.port.envVar, 'STACK_TEMPORAL_PORT');
});

test('a Temporal membership port that does not fit its smallint column is refused up front', () => {
  assert.throws(
    () => loadStackConfig({ STACK_TEMPORAL_MEMBERSHIP_PORT: '36933' }),
    /STACK_TEMPORAL_MEMBERSHIP_PORT="36933": expected an integer between 1024 and 32761/,
  );
});

test('a port that is not a number names the variable', () => {
  assert.throws(() => loadStackConfig({ STACK_POSTGRES_PORT: 'five' }), /STACK_POSTGRES_PORT="five"/);
});
