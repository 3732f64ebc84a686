/**
 * The exactly-once check's device-state query on the real Postgres: a device whose state is not its
 * latest ledger event (by event time, ties by event id) is counted, whatever the other devices hold.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deviceStateMismatches } from '../../local/run-verification.js';
import { stack, testDatabase, uniqueId, type TestDatabase } from '../../local/testing/test-stack.js';

let db: TestDatabase;

before(async () => {
  db = await testDatabase(await stack(), uniqueId('verify'));
});

after(async () => {
  await db?.drop();
});

async function ledger(device: string, eventId: string, at: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO processed_events (event_id, device_id, event_time, batch_id, source_partition, source_offset,
                                   temperature, humidity, pressure, battery)
     VALUES ($1, $2, $3, 'batch:t:0:0', 0, 0, 20, 50, 1000, 90)`,
    [eventId, device, at],
  );
}

async function state(device: string, eventId: string, at: string): Promise<void> {
  await db.pool.query(
    `INSERT INTO device_state (device_id, last_event_id, last_event_at, temperature, humidity, pressure, battery)
     VALUES ($1, $2, $3, 20, 50, 1000, 90)`,
    [device, eventId, at],
  );
}

test('deviceStateMismatches counts the devices whose state is not their latest event', async () => {
  const t1 = '2026-12-01T10:00:00Z';
  const t2 = '2026-12-01T10:00:05Z';
  // up to date
  await ledger('run-a', 'a1', t1);
  await ledger('run-a', 'a2', t2);
  await state('run-a', 'a2', t2);
  // stale: state holds the older event
  await ledger('run-b', 'b1', t1);
  await ledger('run-b', 'b2', t2);
  await state('run-b', 'b1', t1);
  // a tie on event time goes to the higher event id: state at the lower one is stale
  await ledger('run-c', 'c1', t2);
  await ledger('run-c', 'c2', t2);
  await state('run-c', 'c1', t2);
  // another run's stale device is not this run's
  await ledger('other-e', 'e1', t1);
  await ledger('other-e', 'e2', t2);
  await state('other-e', 'e1', t1);

  assert.equal(await deviceStateMismatches(db.pool, 'run-'), 2);
  assert.equal(await deviceStateMismatches(db.pool, 'other-'), 1);
  assert.equal(await deviceStateMismatches(db.pool, 'none-'), 0);
});
