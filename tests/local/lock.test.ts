/**
 * local/tools/lock.ts: a lock held by a live process waits; a lock left by a dead process, by a
 * process whose pid was reused since, or without an owner is taken over at once (a session stopped
 * mid-build once left locks that kept the next run waiting for the 40-minute timeout).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { acquireLock, lockOwnerAlive, processStartTime } from '../../local/tools/lock.js';

const dir = mkdtempSync(join(tmpdir(), 'lock-test-'));
const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });

after(() => {
  sleeper.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function leaveLock(name: string, owner: string, ageMs = 0): void {
  const lock = join(dir, `${name}.lock`);
  mkdirSync(lock);
  writeFileSync(join(lock, 'pid'), owner);
  const at = new Date(Date.now() - ageMs);
  utimesSync(lock, at, at);
}

void test('a live owner holds the lock: another waiter times out', async () => {
  const pid = sleeper.pid!;
  leaveLock('held', `${pid} ${processStartTime(pid)}\n`);
  assert.ok(lockOwnerAlive(`${pid} ${processStartTime(pid)}`));
  await assert.rejects(acquireLock(dir, 'held', 1200), /timed out waiting for lock .*held by pid/);
});

void test('a dead owner, a reused pid and an ownerless lock are taken over at once', async () => {
  const dead = spawn('true');
  await new Promise((r) => dead.on('exit', r));
  leaveLock('dead', `${dead.pid} 1\n`);
  // The sleeper's pid, but started at another time: the pid was reused since the lock was taken.
  leaveLock('reused', `${sleeper.pid} 1\n`);
  assert.equal(lockOwnerAlive(`${sleeper.pid} 1`), false);
  leaveLock('ownerless', '', 60_000);
  for (const name of ['dead', 'reused', 'ownerless']) {
    const started = Date.now();
    const release = await acquireLock(dir, name, 1000);
    assert.ok(Date.now() - started < 900, `${name} taken over at once`);
    release();
  }
});

void test('a fresh ownerless lock (its owner is writing its pid) is waited for', async () => {
  leaveLock('fresh', '');
  await assert.rejects(acquireLock(dir, 'fresh', 800), /timed out/);
});
