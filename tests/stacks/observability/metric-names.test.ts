/**
 * Every metric queried is a metric emitted (issue 24, finding 3): the names that every dashboard
 * panel and every PrometheusRule select are read from what real processes serve: a bridge and a
 * worker run on the local stack (their /metrics and the worker's Temporal SDK exporter) and the local
 * Temporal server. Exporters the local stack does not run (Kafka Exporter, CloudNativePG, KEDA,
 * Prometheus's own ALERTS) count by their pinned names in stacks/observability/exporter-metrics.ts.
 * Before, two panels queried names no process registered and showed nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Client } from '@temporalio/client';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../../local/pipeline-processes.js';
import { effectCounts } from '../../../local/run-verification.js';
import { produce, record, sensorData } from '../../../local/testing/events.js';
import {
  eventually,
  stack,
  testDatabase,
  testKafka,
  testProcessEnv,
  testTemporal,
  testTopics,
  uniqueId,
  type TestDatabase,
} from '../../../local/testing/test-stack.js';
import type { StackEndpoints } from '../../../local/config.js';
import { dashboards } from '../../../stacks/observability/dashboards.js';
import {
  EXPORTER_METRICS,
  TEMPORAL_SDK_NAMESPACE_MATCHER,
  TEMPORAL_SERVER_NAMESPACE_MATCHER,
  type ExporterMetrics,
} from '../../../stacks/observability/exporter-metrics.js';
import { metricNames } from '../../../stacks/observability/promql-selectors.js';
import { ruleGroups } from '../../../stacks/observability/rules.js';
import { WORKER_METRICS } from '../../../workers/shared/metrics.js';

interface Query {
  readonly where: string;
  readonly expr: string;
}

function queries(): Query[] {
  const panels = Object.values(dashboards()).flatMap((d) =>
    d.panels.flatMap((p) =>
      p.targets.map((t) => ({ where: `dashboard ${d.uid} / ${p.title}`, expr: t.expr })),
    ),
  );
  const rules = ruleGroups().flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })));
  return [...panels, ...rules];
}

/** Series names in a Prometheus text exposition: each family's, with a histogram's suffixes. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram' || type[2] === 'summary')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${type[1]}${suffix}`);
    } else if (line && !line.startsWith('#')) names.add(/^[^{ ]+/.exec(line)![0]);
  }
  return names;
}

/** "where: name" for each queried name that nothing emits. */
function unresolved(qs: readonly Query[], emitted: ReadonlySet<string>): string[] {
  return qs.flatMap((q) =>
    metricNames(q.expr)
      .filter((n) => !emitted.has(n))
      .map((n) => `${q.where}: ${n}`),
  );
}

async function scrape(url: string): Promise<string> {
  const res = await fetch(url);
  assert.ok(res.ok, `${url}: HTTP ${res.status}`);
  return res.text();
}

void test('metric names are read from PromQL: selectors, not functions, labels, ranges or numbers', () => {
  assert.deepEqual(
    metricNames(
      'histogram_quantile(0.95, sum by (le) (rate(a_seconds_bucket{job="x",le=~"1|2"}[5m]))) > 1e3',
    ),
    ['a_seconds_bucket'],
  );
  assert.deepEqual(
    metricNames(
      'lag{topic="t"} / on (topic, partition) group_left clamp_min(rate(offset_total{topic="t"}[1h]), 0.001)',
    ),
    ['lag', 'offset_total'],
  );
  assert.deepEqual(
    metricNames('(sum(rate(failed[5m])) or vector(0)) + deriv(sum(x)[15m:1m]) > 0 and up offset 5m'),
    ['failed', 'x', 'up'],
  );
  assert.deepEqual(metricNames('count(ALERTS{alertstate="firing",alertname=~"Sensor.*"}) or vector(0)'), [
    'ALERTS',
  ]);
});

const id = uniqueId('metric-names');
let ep: StackEndpoints;
let db: TestDatabase;
let temporal: { client: Client; close(): Promise<void> };
const processes: PipelineProcess[] = [];
let sdkPort = 0;
const device = `${id}-d`;

before(async () => {
  ep = await stack();
  const topics = await testTopics(ep, id);
  db = await testDatabase(ep, id);
  temporal = await testTemporal(ep);
  const port = 26_000 + Math.floor(Math.random() * 2000);
  sdkPort = port + 2;
  const env = {
    ...testProcessEnv(ep, id, topics, db.url),
    TEMPORAL_SDK_METRICS_PORT: String(sdkPort),
  };
  const worker = startPipelineProcess('worker', `${id}-worker`, env, port + 1);
  processes.push(worker);
  await waitReady(worker);
  const bridge = startPipelineProcess('bridge', `${id}-bridge`, env, port);
  processes.push(bridge);
  await waitReady(bridge);
  // Readings that complete batch workflows (workflow_success, schedule-to-start), one of which
  // the last breaches temperature-high and raises an alert that stays open.
  const readings = Array.from({ length: 20 }, (_, i) =>
    record(sensorData(device, i, { readings: { temperature: i === 19 ? 95 : 21 } })),
  );
  await produce(testKafka(ep), topics.sensorData, readings);
  await eventually(
    'the readings applied',
    async () => (await effectCounts(db.pool, device)).ledger >= 20,
    120_000,
  );
  // A run that times out on a queue nobody polls (workflow_timeout).
  await temporal.client.workflow.start('timesOut', {
    taskQueue: `${id}-nobody`,
    workflowId: `${id}-times-out`,
    workflowExecutionTimeout: '1s',
  });
  await eventually(
    'the run timed out',
    async () =>
      (await temporal.client.workflow.getHandle(`${id}-times-out`).describe()).status.name === 'TIMED_OUT',
    30_000,
  );
});

after(async () => {
  for (const p of processes) await stopPipelineProcess(p).catch(() => undefined);
  await temporal?.close();
  await db?.drop();
});

void test('every metric a dashboard panel or a rule queries is emitted by a process or a pinned exporter', async () => {
  const bridge = processes.find((p) => p.role === 'bridge')!;
  const worker = processes.find((p) => p.role === 'worker')!;
  const served = new Set<string>();
  const sdk = `http://127.0.0.1:${sdkPort}/metrics`;
  for (const url of [
    `http://127.0.0.1:${bridge.metricsPort}/metrics`,
    `http://127.0.0.1:${worker.metricsPort}/metrics`,
    sdk,
  ])
    for (const name of exposedNames(await scrape(url))) served.add(name);
  // The server's series of the batch runs appear once Temporal recorded their completion.
  let server = '';
  await eventually(
    'the Temporal server serves the completed runs',
    async () => /^workflow_success\{/m.test((server = await scrape(ep.temporalMetricsUrl))),
    60_000,
  );
  for (const name of exposedNames(server)) served.add(name);

  // Temporal's namespace label as the rules select it (exporter-metrics.ts), before Prometheus renames
  // it: the server writes the value with `_`, the SDK as it is.
  const scraped = (matcher: string) => matcher.replace(/^exported_/, '');
  assert.match(
    server,
    new RegExp(`^workflow_success\\{[^}]*${scraped(TEMPORAL_SERVER_NAMESPACE_MATCHER)}`, 'm'),
  );
  assert.match(
    await scrape(sdk),
    new RegExp(
      `^temporal_workflow_task_schedule_to_start_latency_bucket\\{[^}]*${scraped(TEMPORAL_SDK_NAMESPACE_MATCHER)}`,
      'm',
    ),
  );

  // The Temporal names listed as pinned are the ones the local server and SDK really serve.
  for (const exporter of Object.values<ExporterMetrics>(EXPORTER_METRICS).filter((e) => e.runsLocally))
    for (const name of exporter.names)
      if (!exporter.servedOnlyAfter?.[name])
        assert.ok(served.has(name), `${exporter.source}: ${name} not served`);
  const emitted = new Set([...served, ...Object.values(EXPORTER_METRICS).flatMap((e) => e.names)]);

  const all = queries();
  assert.ok(all.length > 30, `${all.length} queries read`);
  assert.deepEqual(unresolved(all, emitted), [], 'queried but emitted by nothing');
  // An invented name fails the check, whether ours or an exporter's.
  assert.deepEqual(
    unresolved(
      [
        { where: 'invented', expr: 'sum(rate(sensor_worker_invented_total[5m]))' },
        { where: 'invented', expr: 'max(kafka_invented_lag{topic="t"}) > 0' },
      ],
      emitted,
    ),
    ['invented: sensor_worker_invented_total', 'invented: kafka_invented_lag'],
  );
});

void test("the alert metrics act: a raised alert is counted once and open in every worker's gauge", async () => {
  const worker = processes.find((p) => p.role === 'worker')!;
  const samples = async (name: string) =>
    (await scrape(`http://127.0.0.1:${worker.metricsPort}/metrics`))
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`));
  await eventually(
    'the alert raised and counted',
    async () =>
      (await samples(WORKER_METRICS.alertTransitions)).some((l) => /transition="raised"\} 1$/.test(l)),
    60_000,
  );
  const open = await samples(WORKER_METRICS.alertsOpen);
  assert.equal(open.length, 1, open.join('\n'));
  assert.match(open[0]!, /status="open".*\} 1$/);
});
