/**
 * Replays histories recorded from real runs (scripts/record-histories.ts) with the current workflow
 * code. A change that reorders, adds or removes a command for in-flight workflows fails here before
 * it can strand running batches or alerts in production.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { repoRoot } from '../../../local/lib/paths.js';
import { dataConverter } from '../../../workers/lib/payload-codec.js';
import { workflowBundle } from '../../../workers/worker/workflow-bundle.js';

const dir = join(repoRoot, 'tests', 'fixtures', 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

test('recorded histories exist for every workflow type', () => {
  assert.ok(files.some((f) => f.startsWith('batch-')));
  assert.ok(files.some((f) => f.startsWith('alert-')));
});

for (const file of files) {
  test(`replays ${file} deterministically`, async () => {
    const history = historyFromJSON(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), dataConverter }, history, file);
  });
}
