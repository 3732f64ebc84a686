/**
 * The platform's Temporal server (temporal-server/) is upstream's at the pinned version: its go.mod
 * requires go.temporal.io/server at local/versions.ts' pin, the version the chart and docs name.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';
import { VERSIONS } from '../../local/versions.js';

void test('temporal-server/go.mod requires go.temporal.io/server at the pinned version', () => {
  const goMod = readFileSync(join(repoRoot, 'temporal-server', 'go.mod'), 'utf8');
  const required = /^\s*go\.temporal\.io\/server\s+v(\S+)/m.exec(goMod)?.[1];
  assert.equal(required, VERSIONS.temporalServer, 'bump temporal-server/go.mod with local/versions.ts');
});
