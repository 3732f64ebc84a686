/**
 * `npm run trace`: the audit trail of one event ends at its SensorDataProcessed record. The offset it
 * names must hold that event's record, also when the batch published fewer records than it read
 * (a duplicate of another batch's event). From a Kafka record, it finds the batch that covered it, also
 * once the event's ledger row is past the duplicate window (decision 0117).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KafkaRangeReader } from '../../../workers/lib/kafka-range-reader.js';
import { HEADERS } from '../../../workers/shared/topics.js';
import { traceEvent, traceOffset } from '../../../workers/tools/trace.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { sensorData } from '../../../local/testing/events.js';
import { uniqueId } from '../../../local/testing/test-stack.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('trace');
let fixture: WorkerFixture;
let reader: KafkaRangeReader;

before(async () => {
  fixture = await startWorkerFixture(id);
  reader = new KafkaRangeReader(fixture.kafka);
});
after(async () => {
  await reader?.close();
  await fixture?.close();
});

test('trace names the offset of the event’s own SensorDataProcessed record', async () => {
  const { kafka, temporal, topics, db } = fixture;
  const driver = new BatchDriver(kafka, temporal.client, `${id}-queue`, topics.sensorData);
  const now = Date.now();
  const early = Array.from({ length: 5 }, (_, i) =>
    sensorData(`${id}-d`, 1000 + i, { timestamp: now - 9000 + i }),
  );
  await driver.run(`${id}-a`, [20, 21, 22], early);
  // The second batch repeats an early event first: it publishes one record fewer than it read.
  const later = Array.from({ length: 5 }, (_, i) =>
    sensorData(`${id}-d`, 2000 + i, { timestamp: now - 5000 + i }),
  );
  const { result } = await driver.run(`${id}-b`, [23], [early[0]!, ...later]);
  assert.equal(result.duplicates, 1);

  const target = later[3]!;
  const { found, lines } = await traceEvent(
    { pool: db.pool, client: temporal.client, rangeReader: reader, topics },
    target.deviceId,
    target.eventId,
  );
  assert.ok(found);
  const processed = lines.find((l) => l.startsWith('5. processed'));
  const match = / partition (\d+) offset (\d+) /.exec(processed ?? '');
  assert.ok(match, `a processed offset in: ${lines.join('\n')}`);
  const [, partition, offset] = match;
  const read = await reader.read({
    topic: topics.processed,
    partition: Number(partition),
    firstOffset: offset!,
    lastOffset: offset!,
  });
  assert.equal(
    read.records[0]?.headers[HEADERS.idempotencyKey]?.toString(),
    `${target.deviceId}/${target.eventId}`,
  );
  assert.ok(
    lines.some((l) => l.startsWith('2. workflow') && l.includes('batch:')),
    lines.join('\n'),
  );

  const missing = await traceEvent(
    { pool: db.pool, client: temporal.client, rangeReader: reader, topics },
    `${id}-d`,
    `${id}-never`,
  );
  assert.equal(missing.found, false);
  assert.match(missing.lines[0]!, /not in the ledger/);
});

test('past the duplicate window, a Kafka record is still traced through the batch record that covered it', async () => {
  const { kafka, temporal, topics, db } = fixture;
  const driver = new BatchDriver(kafka, temporal.client, `${id}-queue`, topics.sensorData);
  const now = Date.now();
  const events = Array.from({ length: 3 }, (_, i) =>
    sensorData(`${id}-old`, 3000 + i, { timestamp: now - 4000 + i }),
  );
  const { workflowId } = await driver.run(`${id}-old`, [], events);
  const firstOffset = BigInt(workflowId.split(':').pop()!);
  const target = events[1]!;
  const offset = (firstOffset + 1n).toString();
  // Its ledger row goes after the duplicate window; its batch record stays for the audit window.
  await db.pool.query('DELETE FROM processed_events WHERE device_id = $1 AND event_id = $2', [
    target.deviceId,
    target.eventId,
  ]);
  const deps = { pool: db.pool, client: temporal.client, rangeReader: reader, topics };
  const byEvent = await traceEvent(deps, target.deviceId, target.eventId);
  assert.equal(byEvent.found, false);
  const { found, lines } = await traceOffset(deps, topics.sensorData, 0, offset);
  assert.ok(found, lines.join('\n'));
  const text = lines.join('\n');
  assert.match(text, new RegExp(`2\\. workflow   ${workflowId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} run `));
  assert.match(text, /batch record: 3 events, applied 3, duplicates 0, rejected 0, dead-lettered 0/);
  assert.match(text, /status COMPLETED/);
  assert.match(
    text,
    new RegExp(`4\\. ledger     ${target.deviceId}/${target.eventId} is not held: past the duplicate window`),
  );
  // Its neighbour is still in the ledger: the trail hands over to the trace by ids.
  const held = await traceOffset(deps, topics.sensorData, 0, (firstOffset + 2n).toString());
  assert.match(held.lines.join('\n'), /is held: npm run trace -- /);
  // An offset no batch covered.
  const none = await traceOffset(deps, topics.sensorData, 0, (firstOffset + 1000n).toString());
  assert.equal(none.found, false);
  assert.match(none.lines[0]!, /no batch record covers it/);
});
