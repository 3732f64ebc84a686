import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../../workers/lib/logger.js';

test('a logger writes its level and above, as one JSON line each', (t) => {
  const lines: string[] = [];
  t.mock.method(process.stdout, 'write', (chunk: string) => {
    lines.push(chunk);
    return true;
  });
  const log = createLogger('test', 'warn');
  log.debug('d');
  log.info('i');
  log.warn('w', { n: 1 });
  log.error('e');
  t.mock.restoreAll();
  const parsed = lines.map((l) => JSON.parse(l) as { level: string; msg: string; component: string });
  assert.deepEqual(
    parsed.map((p) => [p.level, p.msg, p.component]),
    [
      ['warn', 'w', 'test'],
      ['error', 'e', 'test'],
    ],
  );
});
