/**
 * Hostile world, finding 3: a catch-up within the pods' memory limits. A backlog of a million lz4
 * readings (Kafka's Java producer, which compresses natively as librdkafka producers do) is on the
 * topic before any bridge runs; then one bridge and two workers start as real processes, configured
 * as the charts configure them (MEMORY_LIMIT_BYTES = the chart's limit, Node's heap derived from it).
 * Every ~200 ms each process's VmRSS is sampled: one sample over its chart's limit fails the test, as
 * the kubelet would OOM-kill the pod. Before the memory budget the bridge passed 1.7 GiB here.
 *
 * CATCH_UP_RECORDS changes the backlog (docs/reliability.md has figures for 1 and 2 million);
 * CATCH_UP_MEASURE=1 runs on past a limit to the end, for the peak figures, and still fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Kafka } from 'kafkajs';
import { parse } from 'yaml';
import { repoRoot } from '../../local/lib/paths.js';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../local/pipeline-processes.js';
import { appliedSoFar, effectCounts } from '../../local/run-verification.js';
import { sensorData } from '../../local/testing/events.js';
import {
  stack,
  testDatabase,
  testKafka,
  testProcessEnv,
  testTopics,
  uniqueId,
  type TestDatabase,
} from '../../local/testing/test-stack.js';
import type { TopicNames } from '../../workers/config.js';
import { javaConsoleProduce } from '../helpers/java-producer.js';
import { formatPeaks, RssWatchdog } from '../helpers/rss-watchdog.js';

const RECORDS = Number(process.env.CATCH_UP_RECORDS ?? 1_000_000);
const DEVICES = 1000;
const PARTITIONS = 6;
const MEASURE = process.env.CATCH_UP_MEASURE === '1';
const CATCH_UP_TIMEOUT_MS = 8 * 60_000;

const id = uniqueId('catchup');
let topics: TopicNames;
let db: TestDatabase;
let kafka: Kafka;
const processes: PipelineProcess[] = [];

/** The memory limit a chart gives its pod (resources.limits.memory in its values.yaml), bytes. */
function chartMemoryLimit(chart: 'ingest-bridge' | 'sensor-worker'): number {
  const values = parse(readFileSync(join(repoRoot, 'charts', chart, 'values.yaml'), 'utf8')) as {
    resources: { limits: { memory: string } };
  };
  const quantity = values.resources.limits.memory;
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  assert.ok(match, `${chart}: resources.limits.memory ${quantity} is not in Mi or Gi`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 ** 3 : 1024 ** 2);
}

before(async () => {
  const ep = await stack();
  topics = await testTopics(ep, id, PARTITIONS);
  db = await testDatabase(ep, id);
  kafka = testKafka(ep);
  function* readings() {
    for (let i = 0; i < RECORDS; i++) {
      const event = sensorData(`${id}-d${i % DEVICES}`, i);
      yield { key: event.deviceId, value: JSON.stringify(event) };
    }
  }
  await javaConsoleProduce(ep, topics.sensorData, 'lz4', readings());
});

after(async () => {
  const failures: string[] = [];
  const step = async (what: string, fn: () => Promise<unknown>) =>
    fn().catch((err: unknown) => failures.push(`${what}: ${String(err)}`));
  for (const p of processes) await step(`stop ${p.name}`, () => stopPipelineProcess(p));
  // A million records on the shared broker: delete them with the test.
  await step('delete the topics', async () => {
    if (!topics) return;
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.deleteTopics({ topics: Object.values(topics) });
    } finally {
      await admin.disconnect();
    }
  });
  await step('drop the database', async () => db?.drop());
  assert.deepEqual(failures, [], 'clean-up');
});

void test(`a backlog of ${RECORDS.toLocaleString('en')} lz4 readings is caught up with every process within its chart's memory limit`, async (t) => {
  const ep = await stack();
  const bridgeLimit = chartMemoryLimit('ingest-bridge');
  const workerLimit = chartMemoryLimit('sensor-worker');
  const env = (limit: number) => {
    const base = testProcessEnv(ep, id, topics, db.url);
    // The defaults of a deployment, not the small batches other tests use.
    delete base.BRIDGE_MAX_BATCH_EVENTS;
    delete base.BRIDGE_MAX_BATCH_WAIT_MS;
    return { ...base, MEMORY_LIMIT_BYTES: String(limit) };
  };
  const port = 21_000 + Math.floor(Math.random() * 2000);
  // The workers first: their workflow bundling is not what this test watches, the catch-up is.
  for (const n of [1, 2]) {
    const worker = startPipelineProcess('worker', `${id}-worker-${n}`, env(workerLimit), port + n);
    processes.push(worker);
    await waitReady(worker);
  }
  const started = Date.now();
  const bridge = startPipelineProcess('bridge', `${id}-bridge`, env(bridgeLimit), port);
  processes.push(bridge);
  const watchdog = new RssWatchdog(
    processes.map((p) => ({
      name: p.name.slice(id.length + 1),
      pid: p.child.pid!,
      limitBytes: p.role === 'bridge' ? bridgeLimit : workerLimit,
    })),
  );
  let applied = 0;
  try {
    const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
    while (applied < RECORDS && Date.now() < deadline) {
      const { over } = watchdog.report();
      if (over && !MEASURE) break;
      for (const p of processes)
        assert.equal(p.child.exitCode ?? p.child.signalCode, null, `${p.name} exited: see ${p.logFile}`);
      await new Promise((r) => setTimeout(r, 1000));
      applied = await appliedSoFar(db.pool, `${id}-d`);
    }
  } finally {
    const { peaks, over } = watchdog.stop();
    const seconds = (Date.now() - started) / 1000;
    t.diagnostic(
      `${applied.toLocaleString('en')} of ${RECORDS.toLocaleString('en')} applied in ${seconds.toFixed(1)} s; peak RSS: ${formatPeaks(peaks)}`,
    );
    assert.equal(over, undefined, `a process passed its chart's memory limit: ${formatPeaks(peaks)}`);
  }
  assert.equal(applied, RECORDS, 'every reading applied within the timeout');
  const counts = await effectCounts(db.pool, `${id}-d`);
  assert.equal(counts.ledger, RECORDS, 'each reading once in the ledger');
});
