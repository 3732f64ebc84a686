import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { installKafkajsDecoders } from '../../../workers/lib/kafkajs-decoders.js';

const require = createRequire(import.meta.url);
const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';

type RecordDecoder = (decoder: unknown, context: object) => { offset: string; timestamp: string };
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (b: Buffer) => unknown;
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (r: object) => {
  buffer: Buffer;
};

// kafkajs's own decoder, taken before ours replaces it in the module cache.
const original = require(RECORD_DECODER) as RecordDecoder;
assert.equal(installKafkajsDecoders(), 'installed');
const ours = require(RECORD_DECODER) as RecordDecoder;

function decode(decoder: RecordDecoder, bytes: Buffer, context: object) {
  const d = new Decoder(bytes) as { readVarInt(): number };
  d.readVarInt(); // the record's length prefix, read by the batch decoder before the record
  const { offset, timestamp } = decoder(d, context);
  return { offset, timestamp };
}

test('offsets and timestamps decode to the same strings as kafkajs, on the number path and off it', () => {
  const deltas = [
    0,
    1,
    -1,
    63,
    -64,
    64,
    8191,
    -8192,
    1_000_000,
    2 ** 48 - 1,
    -(2 ** 48),
    2 ** 49,
    2 ** 52 + 1,
  ];
  const contexts = [
    { firstOffset: '0', firstTimestamp: '1764547200000' },
    { firstOffset: '123456789012', firstTimestamp: '-1' },
    // Exact bases whose sums pass 2^53.
    { firstOffset: String(2 ** 53 - 5), firstTimestamp: String(2 ** 53 - 5) },
    // Beyond 2^53: only kafkajs's BigInt Long is exact there.
    { firstOffset: '9007199254740993', firstTimestamp: '9007199254740993' },
  ];
  for (const context of contexts)
    for (const timestampDelta of deltas)
      for (const offsetDelta of [0, 1, 9_999, 2 ** 30]) {
        const bytes = encodeRecord({
          offsetDelta,
          timestampDelta,
          key: Buffer.from('k'),
          value: Buffer.from('v'),
        }).buffer;
        const what = `${JSON.stringify(context)} timestampDelta ${timestampDelta} offsetDelta ${offsetDelta}`;
        assert.deepEqual(decode(ours, bytes, { ...context }), decode(original, bytes, { ...context }), what);
      }
});

test('records of one batch context decode against that context, after another batch interleaves', () => {
  const a = { firstOffset: '100', firstTimestamp: '5000' };
  const b = { firstOffset: '900', firstTimestamp: '7000' };
  const bytes = encodeRecord({
    offsetDelta: 2,
    timestampDelta: 3,
    key: null,
    value: Buffer.from('v'),
  }).buffer;
  assert.deepEqual(decode(ours, bytes, a), { offset: '102', timestamp: '5003' });
  assert.deepEqual(decode(ours, bytes, b), { offset: '902', timestamp: '7003' });
  assert.deepEqual(decode(ours, bytes, a), { offset: '102', timestamp: '5003' });
});
