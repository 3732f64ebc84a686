#!/usr/bin/env node
// `npm run test:unit`: the tests that need no local server or built tool, in about a minute (the
// operators' CRDs that synth reads are fetched first, once, as `npm run synth` does). A test file
// belongs here unless it reaches, through its relative imports, a module that starts or talks to a
// server or builds a tool (SERVER_MODULES), or spawns a process. `npm test` still runs every test.
//   npm run test:unit            run them
//   npm run test:unit -- --list  print the selection
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Modules that start, reach or build servers and tools; reaching one makes a test an integration test. */
const SERVER_MODULES = [
  'local/stack.ts',
  'local/postgres.ts',
  'local/kafka.ts',
  'local/temporal.ts',
  'local/testing/test-stack.ts',
  'local/kube/api.ts',
  'local/kube/crds.ts',
  'local/tools/go.ts',
  'local/tools/install.ts',
  'local/tools/chromium.ts',
  'local/pipeline-run.ts',
  'local/chaos/chaos-run.ts',
].map((m) => join(root, m));

/** Test files that spawn synth or a CLI, which reach the CRD cache or servers in a child process. */
const SPAWNING = /\bexecFile\b|\bspawn\(|\bspawnSync\b|\bexecFileSync\b/;

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

function imports(file) {
  const source = readFileSync(file, 'utf8');
  const specs = [...source.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return specs.map((s) => resolve(dirname(file), s).replace(/\.js$/, '.ts')).filter((p) => existsSync(p));
}

const memo = new Map();
function reachesServer(file, seen = new Set()) {
  if (memo.has(file)) return memo.get(file);
  if (SERVER_MODULES.includes(file)) return true;
  if (seen.has(file)) return false;
  seen.add(file);
  const result = imports(file).some((f) => reachesServer(f, seen));
  memo.set(file, result);
  return result;
}

const selected = testFiles(join(root, 'tests'))
  .filter((f) => !SPAWNING.test(readFileSync(f, 'utf8')) && !reachesServer(f))
  .map((f) => relative(root, f))
  .sort();

if (process.argv.includes('--list')) {
  console.log(selected.join('\n'));
  process.exit(0);
}
const started = Date.now();
const crds = spawnSync(process.execPath, ['--import', 'tsx', 'local/kube/cli.ts', 'crds', '--quiet'], {
  cwd: root,
  stdio: 'inherit',
});
if (crds.status !== 0) process.exit(crds.status ?? 1);
console.error(`unit lane: ${selected.length} test files that need no server (npm test runs every test)`);
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', ...selected],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
console.error(`unit lane: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(result.status ?? 1);
