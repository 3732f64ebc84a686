/**
 * Issue 25, finding 7: an authorization refusal is a moment before it is a verdict. On the real
 * servers, the worker's role loses INSERT on the ledger (a grant being rotated, a migration's REVOKE
 * before its GRANT): while the refusal lasts the batch is retried, not parked, and once the grant is
 * back every reading is applied once. A refusal that outlasts AUTHORIZATION_RETRY_MS parks the batch
 * with Postgres's reason, as any permanent failure does.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { effectCounts, readSince, topicEndOffsets } from '../../../local/run-verification.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import { eventually, uniqueId } from '../../../local/testing/test-stack.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { startFixtureBridge, startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const READINGS = 20;

async function parked(
  f: WorkerFixture,
  from: Awaited<ReturnType<typeof topicEndOffsets>>,
): Promise<string[]> {
  const reasons: string[] = [];
  await readSince(f.kafka, from, (_key, _value, message) =>
    reasons.push(String(message.headers?.[HEADERS.parkingReason] ?? '')),
  );
  return reasons;
}

/** Takes the ledger's INSERT from the worker's role, then sends READINGS readings; returns where parking stood. */
async function revokeAndSend(f: WorkerFixture, device: string) {
  const parkedFrom = await topicEndOffsets(f.kafka, f.topics.parking);
  await f.db.pool.query('REVOKE INSERT ON processed_events FROM sensor_worker');
  await produce(
    f.kafka,
    f.topics.sensorData,
    Array.from({ length: READINGS }, (_, i) => record(sensorData(device, i))),
  );
  return parkedFrom;
}

/** Runs `body` with a bridge on a fresh fixture whose worker retries refusals for `retryMs`. */
async function withPipeline(
  prefix: string,
  retryMs: number,
  body: (f: WorkerFixture, device: string) => Promise<void>,
): Promise<void> {
  const id = uniqueId(prefix);
  const f = await startWorkerFixture(id, { authorizationRetryMs: retryMs });
  const bridge = await startFixtureBridge(f, id);
  try {
    await body(f, `${id}-dev`);
  } finally {
    await bridge.stop();
    await f.db.pool.query('GRANT INSERT ON processed_events TO sensor_worker').catch(() => undefined);
    await f.close();
  }
}

test('a refused grant is retried, not parked: once it is back, every reading is applied once', async () => {
  await withPipeline('authz', 120_000, async (f, device) => {
    const parkedFrom = await revokeAndSend(f, device);
    // Long enough for the batch to start, be refused and be retried (the first retries come within seconds).
    await sleep(6_000);
    assert.equal((await effectCounts(f.db.pool, device)).ledger, 0, 'applied while the grant was revoked');
    assert.deepEqual(await parked(f, parkedFrom), [], 'parked while the refusal could still be a moment');
    await f.db.pool.query('GRANT INSERT ON processed_events TO sensor_worker');
    await eventually(
      `all ${READINGS} readings applied after the grant`,
      async () => (await effectCounts(f.db.pool, device)).ledger === READINGS,
      120_000,
    );
    const counts = await effectCounts(f.db.pool, device);
    assert.equal(counts.rollupCount, READINGS, 'each reading counted once in the rollups');
    assert.deepEqual(await parked(f, parkedFrom), []);
  });
});

test('a refusal that outlasts AUTHORIZATION_RETRY_MS parks the batch with the database reason', async () => {
  await withPipeline('authzpark', 2_000, async (f, device) => {
    const parkedFrom = await revokeAndSend(f, device);
    let reasons: string[] = [];
    await eventually(
      'the batch parked',
      async () => (reasons = await parked(f, parkedFrom)).length === READINGS,
      60_000,
    );
    for (const reason of reasons) {
      assert.match(reason, /SQLSTATE 42501/);
      assert.match(reason, /still refused \d+ s after the first attempt/);
    }
    assert.equal((await effectCounts(f.db.pool, device)).ledger, 0);
  });
});
