import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { numberArray, textArray } from '../../../workers/lib/pg-array.js';
import { stack, testDatabase, uniqueId, type TestDatabase } from '../../../local/testing/test-stack.js';

let db: TestDatabase;
before(async () => {
  db = await testDatabase(await stack(), uniqueId('pgarray'));
});
after(async () => db?.drop());

test('text array literals read back as the same strings on the real Postgres, nulls included', async () => {
  const values = [
    'plain',
    '',
    'NULL',
    'with space',
    'a,b',
    '{braces}',
    'quote"d',
    'back\\slash',
    '\\"',
    'ünï ✓',
    null,
  ];
  const { rows } = await db.pool.query<{ v: (string | null)[] }>('SELECT $1::text[] AS v', [
    textArray(values),
  ]);
  assert.deepEqual(rows[0]!.v, values);
});

test('number array literals read back as the same numbers and offsets', async () => {
  const floats = [0, -1.5, 0.1 + 0.2, 1e21, 5e-324, -0.0001];
  const offsets = ['0', '9007199254740993', '-1'];
  const { rows } = await db.pool.query<{ f: number[]; o: string[] }>(
    'SELECT $1::float8[] AS f, $2::bigint[]::text[] AS o',
    [numberArray(floats), numberArray(offsets)],
  );
  assert.deepEqual(rows[0]!.f, floats);
  assert.deepEqual(rows[0]!.o, offsets);
});

test('a number array refuses what would carry syntax unquoted', () => {
  assert.throws(() => numberArray([Number.NaN]), /not a finite number/);
  assert.throws(() => numberArray(['1},{2']), /not a finite number/);
});
