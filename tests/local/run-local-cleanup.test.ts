/**
 * `npm run local` stops everything it started, whether the run ends by itself or with Ctrl-C (SIGINT
 * to the whole foreground process group, as a terminal sends it): simulators, bridge, workers, the
 * run's Prometheus and Alertmanager. The local servers it found running stay up.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';
import { leftoversAfter, markedRun } from '../../local/testing/leftovers.js';
import { stack } from '../../local/testing/test-stack.js';

interface LocalRun {
  readonly code: number | null;
  readonly output: string;
}

function runLocal(env: NodeJS.ProcessEnv, interruptOn?: RegExp): Promise<LocalRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'npm',
      ['run', '--silent', 'local', '--', '--duration', '8', '--rate', '100', '--devices', '10'],
      // Its own process group, so that the interrupt reaches every process of the run, as Ctrl-C does.
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let output = '';
    let interrupted = false;
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (interruptOn && !interrupted && interruptOn.test(output)) {
        interrupted = true;
        process.kill(-child.pid!, 'SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, output }));
  });
}

void test('a run that ends by itself leaves no process of its own', { timeout: 300_000 }, async () => {
  await stack();
  const run = markedRun();
  const { code, output } = await runLocal(run.env);
  assert.equal(code, 0, output.slice(-3000));
  assert.match(output, /exactly-once check: OK/);
  assert.deepEqual(await leftoversAfter(run.mark), [], output.slice(-2000));
});

void test(
  'Ctrl-C mid-run: the run drains, checks, stops what it started and leaves no process',
  { timeout: 300_000 },
  async () => {
    await stack();
    const run = markedRun();
    const { output } = await runLocal(run.env, /\[\s*\d+s run\]/);
    assert.match(output, /interrupted/);
    // One Ctrl-C drains and checks (it reaches the run more than once: from the terminal, npm and tsx).
    assert.doesNotMatch(output, /forced:/);
    assert.match(output, /exactly-once check: OK/);
    assert.deepEqual(await leftoversAfter(run.mark, 10_000), [], output.slice(-2000));
  },
);
