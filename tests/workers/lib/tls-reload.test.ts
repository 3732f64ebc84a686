/** The TLS file watch: a renewed file triggers one restart after the random delay; an unchanged one none. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { watchTlsFiles } from '../../../workers/lib/tls-reload.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

void test('a changed file is reported once, after the delay; unchanged files never', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-reload-'));
  try {
    const [crt, ca] = [join(dir, 'tls.crt'), join(dir, 'ca.crt')];
    writeFileSync(crt, 'cert 1');
    writeFileSync(ca, 'ca 1');
    const calls: { at: number; changed: string[] }[] = [];
    const watch = watchTlsFiles(
      { files: [crt, ca], checkMs: 20, jitterMs: 200 },
      (changed) => calls.push({ at: Date.now(), changed }),
      () => 0.5,
    );
    await sleep(100);
    assert.equal(calls.length, 0, 'nothing changed, nothing reported');
    const renewed = Date.now();
    writeFileSync(crt, 'cert 2');
    await sleep(60);
    assert.equal(calls.length, 0, 'the random delay (0.5 x 200 ms) has not passed');
    await sleep(200);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.changed, [crt]);
    assert.ok(calls[0]!.at - renewed >= 100, 'reported after the delay');
    writeFileSync(crt, 'cert 3');
    await sleep(300);
    assert.equal(calls.length, 1, 'reported once: the process is on its way out');
    watch.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('a file missing for a moment (the kubelet swapping it) is no change', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tls-reload-'));
  try {
    const crt = join(dir, 'tls.crt');
    writeFileSync(crt, 'cert 1');
    const calls: string[][] = [];
    const watch = watchTlsFiles({ files: [crt], checkMs: 20, jitterMs: 0 }, (c) => calls.push(c));
    rmSync(crt);
    await sleep(100);
    writeFileSync(crt, 'cert 1');
    await sleep(100);
    assert.deepEqual(calls, []);
    watch.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
