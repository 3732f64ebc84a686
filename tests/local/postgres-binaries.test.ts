/**
 * Local = cluster: the local stack's Postgres (the pinned npm package, local/postgres-binaries.ts)
 * is the release every environment's CloudNativePG image runs, and the copied binaries start.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { packagedPostgresBinDir, pinnedPostgresVersion } from '../../local/postgres-binaries.js';
import { ENVIRONMENT_SPECS } from '../../stacks/config/specs.js';

void test("the local Postgres is the release of every environment's CloudNativePG image", () => {
  const local = pinnedPostgresVersion();
  assert.ok(local, 'the Postgres package is installed');
  for (const [name, spec] of Object.entries(ENVIRONMENT_SPECS)) {
    const tag = /:(\d+\.\d+)-/.exec(spec.choices.postgres.imageName)?.[1];
    assert.equal(tag, local, `${name}: postgres.imageName ${spec.choices.postgres.imageName}`);
  }
});

void test('the copied binaries run, with their libraries', () => {
  const out = execFileSync(join(packagedPostgresBinDir(), 'postgres'), ['--version'], { encoding: 'utf8' });
  assert.equal(out.trim(), `postgres (PostgreSQL) ${pinnedPostgresVersion()}`);
});
