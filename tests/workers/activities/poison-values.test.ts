/**
 * Invariant 6 on the real pipeline, generatively: readings whose every field sits at the edge of its
 * type (strings with every control and non-BMP character, U+0000 and unpaired surrogates, numbers at
 * the sensor limits and just past them, subnormals, timestamps at the window's edges, IDs of every
 * allowed character and length) go through the real worker in batches beside ordinary readings.
 * Each record is applied or dead-lettered with a reason, never both, never neither; none is parked;
 * and no record costs another: every ordinary reading and every valid edge is applied.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readSince, topicEndOffsets } from '../../../local/run-verification.js';
import { BatchDriver } from '../../../local/testing/batch-driver.js';
import { seededRandom } from '../../../local/lib/seeded-random.js';
import { sensorData } from '../../../local/testing/events.js';
import { uniqueId } from '../../../local/testing/test-stack.js';
import type { BoundedDeadLetterEnvelope } from '../../../workers/lib/dead-letter.js';
import { READING_LIMITS, READING_NAMES, type SensorData } from '../../../workers/shared/events.js';
import { startWorkerFixture, type WorkerFixture } from '../../helpers/worker-fixture.js';

const id = uniqueId('poison');
const SEED = Number(process.env.POISON_SEED ?? 20261207);
const BATCHES = 6;
const EDGES_PER_BATCH = 60;
/** BatchDriver's window: an hour back, a minute ahead of the workflow's clock. */
const MAX_AGE_MS = 3600_000;
const MAX_SKEW_MS = 60_000;

let fixture: WorkerFixture | undefined;
before(async () => {
  fixture = await startWorkerFixture(id);
});
after(async () => fixture?.close());

type Expect = 'applied' | 'dead-lettered' | 'either';
interface Edge {
  readonly event: SensorData;
  readonly expect: Expect;
  readonly what: string;
}

const CONTROL = [...Array.from({ length: 31 }, (_, i) => i + 1), 0x7f, 0x80, 0x85, 0x9f];
const SPECIAL = [0x22, 0x5c, 0x7b, 0x7d, 0x2c, 0x202e, 0xfeff, 0xe000, 0xfffd, 0x0301, 0x1f600, 0x10ffff];
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-';

function edges(rand: () => number, batch: number, now: number): Edge[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const out: Edge[] = [];
  for (let i = 0; i < EDGES_PER_BATCH; i++) {
    const device = `${id}-b${batch}e${i}`;
    const base = sensorData(device, 0, { timestamp: now - 5000 });
    const kind = i % 6;
    if (kind === 0) {
      // Firmware: every control character, the JSON and array-literal syntax, non-BMP, up to 64 code points.
      const length = Math.floor(rand() * 65);
      const chars = Array.from({ length }, () =>
        String.fromCodePoint(rand() < 0.5 ? pick(CONTROL) : pick(SPECIAL)),
      );
      out.push({ event: { ...base, firmware: chars.join('') }, expect: 'applied', what: 'firmware edge' });
    } else if (kind === 1) {
      // What no text column can hold: U+0000, an unpaired surrogate, anywhere in the string.
      const bad = pick(['\u0000', '\ud800', '\udfff', 'a\u0000b', 'x\udbff']);
      out.push({
        event: { ...base, firmware: `fw${bad}` },
        expect: 'dead-lettered',
        what: 'unstorable firmware',
      });
    } else if (kind === 2) {
      // Each reading at its limit (applied), a subnormal or -0 where the range allows it.
      const name = pick(READING_NAMES);
      const [min, max] = READING_LIMITS[name];
      const value = pick([min, max, min === 0 ? 5e-324 : min, min === 0 ? -0 : max, (min + max) / 3]);
      out.push({
        event: { ...base, readings: { ...base.readings, [name]: value } },
        expect: 'applied',
        what: `${name} = ${value}`,
      });
    } else if (kind === 3) {
      // Just past a limit, or at the schema's bounds: rejected by the sensor range.
      const name = pick(READING_NAMES);
      const [min, max] = READING_LIMITS[name];
      const value = pick([min - 1e-9, max + 1e-9, -1e9, 1e9, Number.MAX_SAFE_INTEGER % 1e9]);
      out.push({
        event: { ...base, readings: { ...base.readings, [name]: value } },
        expect: value < min || value > max ? 'dead-lettered' : 'applied',
        what: `${name} = ${value}`,
      });
    } else if (kind === 4) {
      // The window's edges, with a margin for the workflow starting a little after `now`.
      const [timestamp, expect, what] = pick<[number, Expect, string]>([
        [now - MAX_AGE_MS + 60_000, 'applied', 'a minute inside the age limit'],
        [now + MAX_SKEW_MS - 30_000, 'either', 'half a minute inside the skew limit'],
        [now - MAX_AGE_MS - 1, 'dead-lettered', 'just past the age limit'],
        [now + MAX_SKEW_MS + 120_000, 'dead-lettered', 'past the skew limit'],
        [0, 'dead-lettered', 'the epoch'],
        [8.64e15, 'dead-lettered', 'the schema maximum'],
      ]);
      out.push({ event: { ...base, timestamp }, expect, what });
    } else {
      // IDs of every allowed character, 1 and 128 characters long.
      const eventId = Array.from({ length: rand() < 0.5 ? 1 : 128 }, () => pick([...ID_CHARS])).join('');
      out.push({
        event: { ...base, eventId, firmware: null as unknown as string },
        expect: 'applied',
        what: 'id edge',
      });
    }
  }
  return out;
}

test('edge values: each applied or dead-lettered with a reason, and none costs another record', async () => {
  const f = fixture!;
  const rand = seededRandom(SEED);
  const driver = new BatchDriver(f.kafka, f.temporal.client, `${id}-queue`, f.topics.sensorData);
  const dlqFrom = await topicEndOffsets(f.kafka, f.topics.deadLetter);
  const parkingFrom = await topicEndOffsets(f.kafka, f.topics.parking);
  const all: Edge[] = [];
  const ordinary: SensorData[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const now = Date.now();
    const batch = edges(rand, b, now);
    // An ordinary reading of its own device after each edge: the neighbours a poison record must spare.
    const plain = batch.map((_, i) => sensorData(`${id}-b${b}p${i}`, 1, { timestamp: now - 4000 }));
    all.push(...batch);
    ordinary.push(...plain);
    const { result } = await driver.run(
      `${id}-b${b}-none`,
      [],
      batch.flatMap((e, i) => [e.event, plain[i]!]),
    );
    assert.equal(result.parked, undefined, `batch ${b} (seed ${SEED}) was parked`);
  }

  const ledger = await f.db.pool.query<{ device_id: string; event_id: string; firmware: string | null }>(
    'SELECT device_id, event_id, firmware FROM processed_events WHERE device_id LIKE $1',
    [`${id}-%`],
  );
  const applied = new Map(ledger.rows.map((r) => [`${r.device_id}/${r.event_id}`, r]));
  const deadLettered = new Map<string, BoundedDeadLetterEnvelope>();
  await readSince(f.kafka, dlqFrom, (_key, value) => {
    const envelope = JSON.parse(value!.toString()) as BoundedDeadLetterEnvelope;
    const event = JSON.parse(Buffer.from(envelope.valueBase64, 'base64').toString()) as SensorData;
    deadLettered.set(`${event.deviceId}/${event.eventId}`, envelope);
  });
  let parked = 0;
  await readSince(f.kafka, parkingFrom, () => parked++);
  assert.equal(parked, 0, 'nothing parked');

  for (const e of ordinary)
    assert.ok(
      applied.has(`${e.deviceId}/${e.eventId}`),
      `ordinary reading ${e.eventId} applied (seed ${SEED})`,
    );
  const outcomes = { applied: 0, deadLettered: 0 };
  for (const edge of all) {
    const key = `${edge.event.deviceId}/${edge.event.eventId}`;
    const row = applied.get(key);
    const envelope = deadLettered.get(key);
    assert.ok(!!row !== !!envelope, `${edge.what}: applied xor dead-lettered (seed ${SEED})`);
    if (row) {
      outcomes.applied++;
      assert.notEqual(edge.expect, 'dead-lettered', `${edge.what} should have been dead-lettered`);
      // What was applied is what was sent: no character replaced on the way.
      assert.equal(row.firmware, edge.event.firmware ?? null, `${edge.what}: firmware stored as sent`);
    } else {
      outcomes.deadLettered++;
      assert.notEqual(edge.expect, 'applied', `${edge.what}: dead-lettered (${envelope!.reason})`);
      assert.ok(envelope!.reason.length > 0 && envelope!.kind.length > 0, `${edge.what}: a reason`);
    }
  }
  console.log(
    `seed ${SEED}: ${all.length} edge records (${outcomes.applied} applied, ${outcomes.deadLettered} dead-lettered), ${ordinary.length} ordinary readings applied`,
  );
});
