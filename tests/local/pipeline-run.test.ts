/**
 * A pipeline run stops what it started (local/pipeline-run.ts): `stopProcesses()` without a callback
 * leaves no bridge or worker running. It used to skip the stop itself when no callback was given, and
 * every `npm run bench` left its bridge and worker behind, holding their ports for the next run.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { psql } from '../../local/postgres.js';
import { loadStackConfig } from '../../local/config.js';
import { isolatedPipelineNames } from '../../local/pipeline-names.js';
import { PipelineRun } from '../../local/pipeline-run.js';
import { stack, uniqueId } from '../../local/testing/test-stack.js';
import { ensureTopics, pipelineTopicSpecs } from '../../local/topics.js';

const names = isolatedPipelineNames('stop', uniqueId('r'));
let run: PipelineRun | undefined;

after(async () => {
  for (const p of run?.processes.values() ?? []) p.child.kill('SIGKILL');
  await run?.close();
  await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`).catch(
    () => undefined,
  );
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

void test('stopProcesses() without a callback stops the bridge and every worker', async () => {
  const ep = await stack();
  await ensureTopics(ep.kafkaBrokers, pipelineTopicSpecs(names.topics, 2));
  await psql(loadStackConfig(), `CREATE DATABASE ${names.database} OWNER sensor_app`);
  run = await PipelineRun.start({
    ep,
    runId: names.taskQueue,
    workers: 1,
    names,
    metricsBasePort: 27_000 + Math.floor(Math.random() * 2000),
    namePrefix: `${names.taskQueue}-`,
  });
  const pids = [...run.processes.values()].map((p) => p.child.pid!);
  assert.equal(pids.length, 2);
  assert.ok(pids.every(alive));
  await run.stopProcesses();
  assert.deepEqual(pids.filter(alive), [], 'processes still running after stopProcesses()');
});
