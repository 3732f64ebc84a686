import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { GzipPayloadCodec } from '../../../workers/lib/payload-codec.js';

const codec = new GzipPayloadCodec();

test('large payloads shrink and round-trip exactly', async () => {
  const batch = Array.from({ length: 500 }, (_, i) => ({
    eventId: `dev-${i % 20}-${i}`,
    readings: { temperature: 21.5, humidity: 45 },
  }));
  const payload = defaultPayloadConverter.toPayload(batch);
  const [encoded] = await codec.encode([payload]);
  assert.ok(
    encoded!.data!.length * 4 < payload.data!.length,
    `${encoded!.data!.length} vs ${payload.data!.length} bytes`,
  );
  const [decoded] = await codec.decode([encoded!]);
  assert.deepEqual(defaultPayloadConverter.fromPayload(decoded!), batch);
});

test('small payloads stay plain', async () => {
  const payload = defaultPayloadConverter.toPayload({ ok: true });
  const [encoded] = await codec.encode([payload]);
  assert.equal(encoded, payload);
});
