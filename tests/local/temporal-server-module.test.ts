/**
 * The platform's Temporal server (temporal-server/) is upstream's at the pinned version: its go.mod
 * requires go.temporal.io/server at local/versions.ts' pin, the version the chart and docs name. Its
 * own Go code is formatted, vetted and unit-tested here (authorization_test.go: the policy refuses
 * what it cannot enforce, the authorizer grants by identity, method and namespace).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';
import { run } from '../../local/lib/proc.js';
import { goEnv } from '../../local/tools/go.js';
import { VERSIONS } from '../../local/versions.js';

void test('temporal-server/go.mod requires go.temporal.io/server at the pinned version', () => {
  const goMod = readFileSync(join(repoRoot, 'temporal-server', 'go.mod'), 'utf8');
  const required = /^\s*go\.temporal\.io\/server\s+v(\S+)/m.exec(goMod)?.[1];
  assert.equal(required, VERSIONS.temporalServer, 'bump temporal-server/go.mod with local/versions.ts');
});

void test("temporal-server's Go code is gofmt-clean, vetted, and its unit tests pass", async () => {
  const cwd = join(repoRoot, 'temporal-server');
  // -trimpath as the server is built (local/temporal.ts): the compiled packages are reused.
  const env = goEnv();
  assert.equal((await run('gofmt', ['-l', '.'], { cwd, env })).trim(), '', 'files gofmt would change');
  await run('go', ['vet', '-trimpath', './...'], { cwd, env });
  const out = await run('go', ['test', '-trimpath', '-count=1', './...'], { cwd, env });
  assert.match(out, /^ok\s+\S+temporal-server/m);
});
