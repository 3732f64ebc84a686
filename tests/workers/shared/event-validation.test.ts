/** The bridge's first line of defence: every malformed or hostile record is named, none throws. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_EVENT_BYTES, parseSensorData } from '../../../workers/shared/event-validation.js';
import { sensorData } from '../../helpers/events.js';

const good = sensorData('dev-1', 1, { timestamp: 1_700_000_000_000 });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const key = Buffer.from('dev-1');

const CORPUS: [
  name: string,
  key: Buffer | null,
  value: Buffer | null,
  kind: string,
  reasonIncludes: string,
][] = [
  ['truncated JSON', key, Buffer.from('{"schemaVersion":1,'), 'malformed-json', 'JSON'],
  ['not JSON at all', key, Buffer.from('hello'), 'malformed-json', 'JSON'],
  ['NaN literal', key, Buffer.from(JSON.stringify(good).replace('21.5', 'NaN')), 'malformed-json', 'JSON'],
  [
    'Infinity literal',
    key,
    Buffer.from(JSON.stringify(good).replace('21.5', 'Infinity')),
    'malformed-json',
    'JSON',
  ],
  ['invalid UTF-8', key, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'malformed-json', 'UTF-8'],
  ['empty value', key, Buffer.alloc(0), 'malformed-json', 'empty'],
  ['tombstone', key, null, 'malformed-json', 'empty'],
  ['oversize', key, Buffer.alloc(MAX_EVENT_BYTES + 1, 0x20), 'oversize', 'limit'],
  [
    'unknown schema version',
    key,
    json({ ...good, schemaVersion: 2 }),
    'unknown-schema-version',
    'schemaVersion 2',
  ],
  ['string schema version', key, json({ ...good, schemaVersion: '1' }), 'unknown-schema-version', '"1"'],
  ['missing eventId', key, json({ ...good, eventId: undefined }), 'schema-violation', 'eventId'],
  ['empty eventId', key, json({ ...good, eventId: '' }), 'schema-violation', '/eventId'],
  ['eventId with spaces', key, json({ ...good, eventId: 'a b' }), 'schema-violation', '/eventId'],
  ['huge eventId', key, json({ ...good, eventId: 'x'.repeat(500) }), 'schema-violation', '/eventId'],
  ['timestamp as string', key, json({ ...good, timestamp: '2026-01-01' }), 'schema-violation', '/timestamp'],
  ['negative timestamp', key, json({ ...good, timestamp: -5 }), 'schema-violation', '/timestamp'],
  ['fractional timestamp', key, json({ ...good, timestamp: 1.5 }), 'schema-violation', '/timestamp'],
  [
    'reading as string',
    key,
    json({ ...good, readings: { ...good.readings, humidity: '45' } }),
    'schema-violation',
    '/readings/humidity',
  ],
  [
    'reading missing',
    key,
    json({ ...good, readings: { temperature: 1, humidity: 2, pressure: 3 } }),
    'schema-violation',
    'battery',
  ],
  [
    'huge number',
    key,
    json({ ...good, readings: { ...good.readings, pressure: 1e300 } }),
    'schema-violation',
    '/readings/pressure',
  ],
  [
    'unknown reading',
    key,
    json({ ...good, readings: { ...good.readings, co2: 400 } }),
    'schema-violation',
    "'co2'",
  ],
  ['unexpected property', key, json({ ...good, admin: true }), 'schema-violation', "'admin'"],
  ['array instead of object', key, json([good]), 'schema-violation', 'object'],
  ['null document', key, Buffer.from('null'), 'schema-violation', 'object'],
  ['deep nesting', key, Buffer.from('['.repeat(5000) + ']'.repeat(5000)), 'schema-violation', 'object'],
  [
    'prototype pollution key',
    key,
    Buffer.from(JSON.stringify(good).replace('{', '{"__proto__":{"polluted":1},')),
    'schema-violation',
    '__proto__',
  ],
  ['missing key', null, json(good), 'missing-key', 'no key'],
  ['empty key', Buffer.alloc(0), json(good), 'missing-key', 'no key'],
  ['key differs from deviceId', Buffer.from('dev-2'), json(good), 'schema-violation', 'differs'],
  ['firmware too long', key, json({ ...good, firmware: 'v'.repeat(100) }), 'schema-violation', '/firmware'],
];

for (const [name, k, value, kind, reason] of CORPUS) {
  test(`rejects ${name} as ${kind}`, () => {
    const result = parseSensorData(k, value);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.kind, kind, result.reason);
    assert.ok(result.reason.includes(reason), `reason '${result.reason}' should mention '${reason}'`);
  });
}

test('accepts a valid reading and keeps it intact', () => {
  const result = parseSensorData(key, json(good));
  assert.deepEqual(result, { ok: true, event: good });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
