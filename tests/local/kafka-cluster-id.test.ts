import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaClusterId } from '../../local/kafka.js';

test('cluster ids are base64url UUIDs that never start with "-" (StorageTool would take one for an option)', () => {
  // About 1 in 64 random ids starts with '-': 10,000 draws would hold ~156 of them.
  for (let i = 0; i < 10_000; i++) {
    const id = kafkaClusterId();
    assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
  }
});
