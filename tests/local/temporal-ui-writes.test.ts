/**
 * The Web UI is read-only unless switched on, and its server enforces it: on the real UI server (the
 * pinned module the cluster's image is built from), a terminate through a read-only UI is refused
 * and the workflow keeps running; the same request through a UI with writes on terminates it
 * (control). Queries and reads still work read-only.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { loadStackConfig } from '../../local/config.js';
import { freePort } from '../../local/lib/proc.js';
import { ensureTemporalUiBinary, uiConfig } from '../../local/temporal-ui.js';
import { stack, testTemporal, uniqueId } from '../../local/testing/test-stack.js';
import { TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';

const dir = mkdtempSync(join(tmpdir(), 'temporal-ui-writes-'));
const children: ChildProcess[] = [];
let temporal: Awaited<ReturnType<typeof testTemporal>>;

/** A UI server of its own, on a free port, with writes on or off; resolves once it answers. */
async function startUi(writeActions: boolean): Promise<string> {
  const binary = await ensureTemporalUiBinary();
  const port = await freePort();
  const root = join(dir, writeActions ? 'writes-on' : 'writes-off');
  mkdirSync(join(root, 'config'), { recursive: true });
  writeFileSync(join(root, 'config', 'test.yaml'), uiConfig(loadStackConfig(), { port, writeActions }));
  const child = spawn(binary, ['--root', root, '--config', 'config', '--env', 'test', 'start'], {
    cwd: root,
    stdio: 'ignore',
  });
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (child.exitCode !== null) throw new Error(`the UI server exited with ${child.exitCode}`);
    if (
      await fetch(`${url}/api/v1/settings`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return url;
    await sleep(250);
  }
  throw new Error(`the UI server on ${url} did not answer`);
}

/** A request as the UI's own page makes it: the CSRF cookie it was given, echoed in the header. */
async function uiPost(ui: string, path: string, body: unknown): Promise<Response> {
  const first = await fetch(`${ui}/api/v1/settings`);
  const token = /_csrf=([^;]+)/.exec(first.headers.get('set-cookie') ?? '')?.[1];
  assert.ok(token, 'the UI server issued no CSRF cookie');
  return fetch(`${ui}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: `_csrf=${token}`, 'x-csrf-token': token },
    body: JSON.stringify(body),
  });
}

before(async () => {
  await stack();
  temporal = await testTemporal(await stack());
});

after(async () => {
  for (const c of children) c.kill('SIGTERM');
  await temporal?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A workflow that stays running: no worker polls its queue. */
async function runningWorkflow(): Promise<string> {
  const workflowId = uniqueId('ui-writes');
  await temporal.client.workflow.start('NoWorkerPollsThis', {
    taskQueue: `${workflowId}-queue`,
    workflowId,
  });
  return workflowId;
}

const terminatePath = (id: string) =>
  `/api/v1/namespaces/${TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(id)}/terminate`;

void test('a read-only UI refuses a terminate and the workflow keeps running; reads still work', async () => {
  const ui = await startUi(false);
  const id = await runningWorkflow();
  const refused = await uiPost(ui, terminatePath(id), { reason: 'through a read-only UI' });
  assert.equal(refused.status, 405, await refused.text());
  const { status } = await temporal.client.workflow.getHandle(id).describe();
  assert.equal(status.name, 'RUNNING');
  const read = await fetch(
    `${ui}/api/v1/namespaces/${TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(id)}`,
  );
  assert.equal(read.status, 200, 'the read-only UI still shows the workflow');
});

void test('control: a UI with writes on terminates the same way', async () => {
  const ui = await startUi(true);
  const id = await runningWorkflow();
  const done = await uiPost(ui, terminatePath(id), { reason: 'through a UI with writes on' });
  assert.equal(done.status, 200, await done.text());
  const { status } = await temporal.client.workflow.getHandle(id).describe();
  assert.equal(status.name, 'TERMINATED');
});
