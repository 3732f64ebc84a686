/**
 * The Temporal Web UI next to the local server shows a finished batch workflow: headless Chromium
 * loads the workflow's history page and the rendered page names the workflow, its type and its
 * status (the operator's view of what step a workflow is on and what it did).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BatchDriver } from '../../local/testing/batch-driver.js';
import { uniqueId } from '../../local/testing/test-stack.js';
import { ensureChromium, renderedDom, screenshot } from '../../local/tools/chromium.js';
import { TEMPORAL_NAMESPACE, WORKFLOW_TYPES } from '../../workers/shared/temporal.js';
import { startWorkerFixture, type WorkerFixture } from '../helpers/worker-fixture.js';

const id = uniqueId('ui');
let fixture: WorkerFixture;
let chromium: string;
const out = mkdtempSync(join(tmpdir(), 'temporal-ui-'));

before(async () => {
  chromium = await ensureChromium();
  fixture = await startWorkerFixture(id);
});

after(async () => {
  await fixture?.close();
  rmSync(out, { recursive: true, force: true });
});

test("the Web UI shows a finished batch workflow's history", async () => {
  const driver = new BatchDriver(
    fixture.kafka,
    fixture.temporal.client,
    `${id}-queue`,
    fixture.topics.sensorData,
  );
  const { workflowId, result } = await driver.run(`${id}-device`, [21.5, 22, 22.5]);
  assert.equal(result.applied, 3);
  const { runId } = await fixture.temporal.client.workflow.getHandle(workflowId).describe();
  const page = `${fixture.ep.temporalUiUrl}/namespaces/${TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}/${runId}/history`;

  const dom = await renderedDom(chromium, page);
  assert.ok(dom.includes(workflowId), `the page names the workflow ${workflowId}`);
  assert.ok(dom.includes(WORKFLOW_TYPES.processSensorBatch), 'the page names the workflow type');
  assert.match(dom, /Completed/, 'the page shows the workflow completed');

  // The same page another workflow ID would give does not name this one: the check reads the page.
  const other = await renderedDom(
    chromium,
    page.replace(encodeURIComponent(workflowId), 'batch%3Anone%3A0%3A0'),
  );
  assert.ok(!other.includes(workflowId));

  const png = join(out, 'workflow.png');
  await screenshot(chromium, page, png);
  assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
});
