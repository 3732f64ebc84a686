/**
 * A pipeline run stops what it started (local/pipeline-run.ts): `stopProcesses()` without a callback
 * leaves no bridge or worker running. It used to skip the stop itself when no callback was given, and
 * every `npm run bench` left its bridge and worker behind, holding their ports for the next run.
 * And two runs at once on one machine choose their metrics ports free: with ports fixed per command,
 * the second run's processes died with EADDRINUSE.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { psql } from '../../local/postgres.js';
import { loadStackConfig } from '../../local/config.js';
import { isolatedPipelineNames } from '../../local/pipeline-names.js';
import { PipelineRun } from '../../local/pipeline-run.js';
import { stack, uniqueId } from '../../local/testing/test-stack.js';
import { ensureTopics, pipelineTopicSpecs } from '../../local/topics.js';

const names = [isolatedPipelineNames('stop', uniqueId('r')), isolatedPipelineNames('stop', uniqueId('r'))];
const runs: PipelineRun[] = [];

after(async () => {
  for (const run of runs) {
    for (const p of run.processes.values()) p.child.kill('SIGKILL');
    await run.close();
  }
  for (const n of names)
    await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${n.database} WITH (FORCE)`).catch(
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

void test('two runs at once get distinct free metrics ports, and stopProcesses() without a callback stops each', async () => {
  const ep = await stack();
  const start = async (n: (typeof names)[number]) => {
    await ensureTopics(ep.kafkaBrokers, pipelineTopicSpecs(n.topics, 2));
    await psql(loadStackConfig(), `CREATE DATABASE ${n.database} OWNER sensor_app`);
    const run = await PipelineRun.start({
      ep,
      runId: n.taskQueue,
      workers: 1,
      names: n,
      namePrefix: `${n.taskQueue}-`,
    });
    runs.push(run);
    return run;
  };
  // Both ready means every process bound its ports: a collision exits with EADDRINUSE first.
  // Settled, not all: a run that failed to start must not leave its sibling's processes behind
  // (after() stops every run that started).
  const settled = await Promise.allSettled(names.map(start));
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  const [a, b] = settled.map((r) => (r as PromiseFulfilledResult<PipelineRun>).value);
  const ports = [a!, b!].flatMap((r) => [...r.processes.values()].map((p) => p.metricsPort));
  assert.equal(new Set(ports).size, 4, `ports collide: ${ports.join(', ')}`);
  assert.match(a!.portsLine(), /worker-0 :\d+ \(sdk :\d+\), .*bridge-0 :\d+/);
  for (const run of [a!, b!]) {
    const pids = [...run.processes.values()].map((p) => p.child.pid!);
    assert.equal(pids.length, 2);
    assert.ok(pids.every(alive));
    await run.stopProcesses();
    assert.deepEqual(pids.filter(alive), [], 'processes still running after stopProcesses()');
  }
});
