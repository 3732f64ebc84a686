/** local/testing/leftovers.ts finds a process that outlived the command that started it, and only those. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { leftoversAfter, markedRun, processesWithMark } from '../../local/testing/leftovers.js';

void test('a detached child of a marked command is found until it is stopped; another mark finds nothing', async () => {
  const run = markedRun();
  // A command that starts a daemon and exits at once: the daemon is re-parented, and carries the mark.
  const parent = spawn('sh', ['-c', 'sleep 30 & exit 0'], { env: run.env, stdio: 'ignore' });
  await new Promise((r) => parent.on('exit', r));
  const left = await leftoversAfter(run.mark, 300);
  assert.equal(left.length, 1, JSON.stringify(left));
  assert.match(left[0]!.command, /^sleep 30/);
  assert.deepEqual(processesWithMark(markedRun().mark), []);
  process.kill(left[0]!.pid, 'SIGKILL');
  assert.deepEqual(await leftoversAfter(run.mark, 2000), []);
});
