/**
 * The published event contract (docs/events.md, docs/schemas/) against the code: the files are what
 * `npm run schemas` writes from workers/shared/event-schemas.ts; each example on the page is valid
 * by its schema, and the SensorData one is accepted by the bridge's parser and the workflow's checks;
 * the bad-input corpus gets the same verdict from the published schema as from the validators; and
 * records the pipeline builds (dead letters) match their schema, headers included.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv, type ValidateFunction } from 'ajv';
import { repoRoot } from '../../../local/lib/paths.js';
import { schemaFileText, SCHEMA_DIR } from '../../../scripts/write-event-schemas.js';
import { deadLetterMessage } from '../../../workers/lib/dead-letter.js';
import { RECORD_SCHEMAS } from '../../../workers/shared/event-schemas.js';
import { parseSensorData } from '../../../workers/shared/event-validation.js';
import type { IngestedEvent } from '../../../workers/shared/events.js';
import { rejectionReason } from '../../../workers/activities/reading-validation.js';
import { badInputCorpus } from '../../fixtures/bad-input/corpus.js';

const ajv = new Ajv({ strict: true, allErrors: true });
const validators = new Map<string, ValidateFunction>(
  RECORD_SCHEMAS.map(({ file }) => [
    file,
    ajv.compile(JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as object),
  ]),
);
const validator = (file: string) => validators.get(file)!;
const explain = (v: ValidateFunction) => ajv.errorsText(v.errors);

/** The ```json <Name> blocks of docs/events.md, by name. */
function examples(): Map<string, { key: string; headers?: Record<string, string>; value: unknown }> {
  const page = readFileSync(join(repoRoot, 'docs', 'events.md'), 'utf8');
  const out = new Map<string, { key: string; headers?: Record<string, string>; value: unknown }>();
  for (const [, name, body] of page.matchAll(/```json (\w+)\n([\s\S]*?)```/g))
    out.set(name!, JSON.parse(body!) as { key: string; value: unknown });
  return out;
}

test('docs/schemas holds exactly what npm run schemas writes', () => {
  for (const { file, schema } of RECORD_SCHEMAS) {
    const onDisk = readFileSync(join(SCHEMA_DIR, file), 'utf8');
    assert.equal(onDisk, schemaFileText(schema), `docs/schemas/${file} drifted: run npm run schemas`);
  }
});

test('every example in docs/events.md is valid by its schema', () => {
  const found = examples();
  const byTitle: Record<string, string> = {
    SensorData: 'sensor-data.v1.schema.json',
    SensorDataProcessed: 'sensor-data-processed.v1.schema.json',
    AlertEvent: 'alert-event.v1.schema.json',
    DeadLetter: 'dead-letter.v1.schema.json',
  };
  assert.deepEqual([...found.keys()].sort(), Object.keys(byTitle).sort(), 'one example per record type');
  for (const [name, example] of found) {
    const v = validator(byTitle[name]!);
    assert.ok(v(example), `${name}: ${explain(v)}`);
  }
});

test('a reading built from the documented example is accepted by the bridge and the workflow', () => {
  const example = examples().get('SensorData')!;
  const headers = Object.fromEntries(
    Object.entries(example.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)]),
  );
  const parsed = parseSensorData(
    Buffer.from(example.key),
    Buffer.from(JSON.stringify(example.value)),
    headers,
  );
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  const event: IngestedEvent = { ...parsed.event, source: { partition: 0, offset: '0' } };
  const window = { now: event.timestamp + 1000, maxEventAgeMs: 7 * 86_400_000, maxClockSkewMs: 300_000 };
  assert.equal(rejectionReason(event, window), undefined);
});

test('the published SensorData schema and the validators agree on every bad-input case', () => {
  const v = validator('sensor-data.v1.schema.json');
  const now = Date.now();
  let compared = 0;
  for (const c of badInputCorpus({ devicePrefix: 'schema-', now })) {
    if (c.messages.length !== 1) continue;
    const m = c.messages[0]!;
    const text =
      m.value === null || m.value === undefined ? undefined : Buffer.from(m.value).toString('utf8');
    let value: unknown;
    try {
      value = text === undefined ? undefined : JSON.parse(text);
    } catch {
      continue; // not JSON: no schema has a say
    }
    const expect = c.expect;
    // Rules outside the value's schema: size, the key, headers and the time window.
    if (
      expect.outcome === 'dead-letter' &&
      (['oversize', 'missing-key', 'header-abuse'].includes(expect.kind) ||
        (expect.kind === 'schema-violation' && expect.reason.includes('differs from deviceId')) ||
        (expect.kind === 'invalid-reading' && !expect.reason.startsWith('readings.')))
    )
      continue;
    if (expect.outcome === 'dead-letter' && expect.kind === 'malformed-json') continue;
    const record = { key: m.key === null ? null : String(m.key ?? ''), value };
    const accepted = v(record);
    const wanted = expect.outcome !== 'dead-letter';
    assert.equal(accepted, wanted, `${c.name}: schema says ${accepted ? 'valid' : explain(v)}`);
    compared++;
  }
  assert.ok(compared >= 30, `only ${compared} cases compared`);
});

test('a dead letter the bridge builds matches the DeadLetter schema, headers included', () => {
  const v = validator('dead-letter.v1.schema.json');
  const message = deadLetterMessage(
    {
      topic: 'sensor-data',
      partition: 2,
      offset: '41',
      key: Buffer.from('dev-1'),
      value: Buffer.alloc(40_000, 0x7b),
    },
    'oversize',
    'value is 40000 bytes; the limit is 16384',
  );
  const record = {
    key: message.key ? String(message.key) : null,
    headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, h]) => [k, String(h)])),
    value: JSON.parse(String(message.value)) as unknown,
  };
  assert.ok(v(record), explain(v));
});
