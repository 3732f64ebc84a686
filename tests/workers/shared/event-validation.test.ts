/**
 * The bridge's first line of defence, over issue 7's whole corpus (tests/fixtures/bad-input): every
 * malformed or hostile record is named with its kind and reason, none throws, and what passes the
 * parse but not the domain check is rejected by the batch workflow's validation.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHeaders, parseSensorData } from '../../../workers/shared/event-validation.js';
import { DEAD_LETTER_KINDS } from '../../../workers/shared/events.js';
import { rejectionReason, type TimeWindow } from '../../../workers/activities/reading-validation.js';
import { badInputCorpus } from '../../fixtures/bad-input/corpus.js';
import { sensorData } from '../../../local/testing/events.js';

const now = 1_700_000_000_000;
const corpus = badInputCorpus({ devicePrefix: 'unit-', now });
/** The production defaults (workers/config.ts): 7 days back, 5 minutes ahead. */
const window: TimeWindow = { now, maxEventAgeMs: 7 * 86_400_000, maxClockSkewMs: 5 * 60_000 };
const source = { partition: 0, offset: '0' };

test('the corpus has at least 50 distinct dead-letter kinds of input and covers every DeadLetterKind', () => {
  const names = corpus.map((c) => c.name);
  assert.equal(new Set(names).size, names.length, 'case names are unique');
  const deadLettered = corpus.filter((c) => c.expect.outcome === 'dead-letter');
  assert.ok(deadLettered.length >= 50, `${deadLettered.length} dead-letter cases`);
  const kinds = new Set(deadLettered.map((c) => (c.expect.outcome === 'dead-letter' ? c.expect.kind : '')));
  // Verdicts on more than one record: 'undecodable-batch' on a record batch
  // (tests/workers/bridge/undecodable-batch.test.ts), 'event-id-conflict' on a record and the earlier
  // one with its ids, 'refused-by-database' on the database's answer (tests/workers/activities/).
  const notOfOneRecord = new Set(['undecodable-batch', 'event-id-conflict', 'refused-by-database']);
  const all = DEAD_LETTER_KINDS.filter((k) => !notOfOneRecord.has(k));
  assert.deepEqual([...kinds].sort(), [...all].sort());
});

for (const c of corpus) {
  const { expect } = c;
  if (expect.outcome === 'dead-letter' && expect.stage === 'bridge') {
    test(`bridge dead-letters ${c.name} as ${expect.kind}`, () => {
      const m = c.messages[0]!;
      const result = parseSensorData(m.key, m.value, m.headers);
      assert.equal(result.ok, false, 'rejected');
      if (result.ok) return;
      assert.equal(result.kind, expect.kind, result.reason);
      assert.ok(
        result.reason.includes(expect.reason),
        `reason '${result.reason}' should mention '${expect.reason}'`,
      );
      // Reasons quote hostile input: they must stay short whatever the input's size.
      assert.ok(result.reason.length <= 300, `reason of ${result.reason.length} chars`);
    });
  } else if (expect.outcome === 'dead-letter') {
    test(`worker dead-letters ${c.name} as ${expect.kind}`, () => {
      const m = c.messages[0]!;
      const result = parseSensorData(m.key, m.value, m.headers);
      assert.ok(result.ok, result.ok ? '' : `the bridge must pass it on: ${result.reason}`);
      const reason = rejectionReason({ ...result.event, source }, window);
      assert.ok(reason?.includes(expect.reason), `reason '${reason}' should mention '${expect.reason}'`);
    });
  } else {
    test(`accepts ${c.name}: each message parses to eventId ${expect.eventIds.join(', ')}`, () => {
      for (const m of c.messages) {
        const result = parseSensorData(m.key, m.value, m.headers);
        assert.ok(result.ok, result.ok ? '' : result.reason);
        assert.ok(expect.eventIds.includes(result.event.eventId));
        assert.equal(rejectionReason({ ...result.event, source }, window), undefined);
      }
    });
  }
}

test('accepts a valid reading and keeps it intact; nothing is polluted', () => {
  const good = sensorData('dev-1', 1, { timestamp: now });
  const result = parseSensorData(Buffer.from('dev-1'), Buffer.from(JSON.stringify(good)), {});
  assert.deepEqual(result, { ok: true, event: good });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('header shapes kafkajs can hand over: repeated names as arrays, buffers, and foreign values', () => {
  // Foreign headers never decide: many of them, repeated, binary, large.
  const many = Object.fromEntries(
    Array.from({ length: 5_000 }, (_, i) => [`x-${i}`, Buffer.from([0xff, i % 256])]),
  );
  assert.equal(checkHeaders(many), undefined, '5,000 binary headers');
  assert.equal(checkHeaders({ trace: Array.from({ length: 500 }, () => 'x') }), undefined, 'a repeated name');
  assert.equal(checkHeaders({ note: Buffer.alloc(256 * 1024, 0x61) }), undefined, 'a 256 KiB value');
  // The pipeline's own names are forged on sensor-data, in any case.
  assert.equal(checkHeaders({ 'Idempotency-Key': 'x' })?.kind, 'header-abuse');
  // Values are never read, whatever their shape (kafkajs's stock decoder made 'constructor' [Object, value]).
  assert.equal(checkHeaders({ constructor: [Object, Buffer.from('a')] }), undefined);
  assert.equal(checkHeaders({ a: undefined, b: Buffer.alloc(0) }), undefined);
});
