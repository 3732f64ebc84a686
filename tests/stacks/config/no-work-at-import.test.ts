/**
 * Loading the configuration modules does no work: no deployed record, no calibration is read and
 * nothing is sized until loadEnvironment runs (before, importing an environment file sized it, so
 * main.ts's `try` could not catch a sizing error and operator-crds.ts sized all three to find a folder).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../../local/lib/paths.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'import-reads-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The JSON files a fresh process reads while importing `module` (and, optionally, calling `call`). */
async function jsonReads(module: string, call = ''): Promise<string[]> {
  const script = join(dir, `reads-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(
    script,
    [
      "import fs from 'node:fs';",
      "import { syncBuiltinESMExports } from 'node:module';",
      'const original = fs.readFileSync;',
      'const read = [];',
      'fs.readFileSync = function (p, ...rest) { read.push(String(p)); return original.call(this, p, ...rest); };',
      'syncBuiltinESMExports();',
      `const m = await import(${JSON.stringify(join(repoRoot, module))});`,
      call,
      "console.log(JSON.stringify(read.filter((p) => p.endsWith('.json'))));",
    ].join('\n'),
  );
  const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as string[];
}

const configFile = (p: string) => /stacks\/(config\/deployed-[a-z]+|capacity\/calibration)\.json$/.test(p);

void test('importing the environments, the loader, the app and the CRD lookup reads no record and sizes nothing', async () => {
  for (const module of [
    'stacks/config/load.ts',
    'stacks/config/prod.ts',
    'stacks/config/specs.ts',
    'stacks/app.ts',
    'stacks/lib/operator-crds.ts',
  ]) {
    assert.deepEqual((await jsonReads(module)).filter(configFile), [], module);
  }
});

void test('control: loading an environment reads the deployed record once and the calibration once', async () => {
  const reads = (await jsonReads('stacks/config/load.ts', "m.loadEnvironment('prod');")).filter(configFile);
  const count = (name: string) => reads.filter((p) => p.endsWith(name)).length;
  assert.equal(count('deployed-partitions.json'), 1, reads.join('\n'));
  assert.equal(count('calibration.json'), 1, reads.join('\n'));
});
