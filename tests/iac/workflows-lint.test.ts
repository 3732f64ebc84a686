/** The CI workflows pass actionlint (syntax, expressions, action inputs, job dependencies). */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';
import { run } from '../../local/lib/proc.js';
import { ensureGoTool } from '../../local/tools/go.js';

const workflowsDir = join(repoRoot, '.github', 'workflows');
let actionlint: string;

before(async () => {
  actionlint = await ensureGoTool('actionlint');
});

async function lint(files: readonly string[], cwd: string): Promise<{ ok: boolean; output: string }> {
  try {
    return { ok: true, output: await run(actionlint, ['-no-color', ...files], { cwd }) };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}

void test('every workflow in .github/workflows passes actionlint', async () => {
  const files = readdirSync(workflowsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => join(workflowsDir, f));
  assert.ok(files.length > 0, 'no workflow files');
  const { ok, output } = await lint(files, repoRoot);
  assert.ok(ok, output);
});

void test('actionlint rejects a workflow with an undefined expression (control)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
  try {
    const file = join(dir, 'broken.yml');
    writeFileSync(
      file,
      'on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ matrix.node }}\n',
    );
    const { ok, output } = await lint([file], dir);
    assert.equal(ok, false, 'actionlint accepted a reference to an undefined matrix');
    assert.match(output, /matrix/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
