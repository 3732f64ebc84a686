/** stacks/observability/rules.ts and dashboards.ts: names from workers/shared, valid for promtool. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../local/lib/paths.js';
import {
  dashboards,
  NAMESPACE_MATCHER,
  PROMETHEUS_DATASOURCE_UID,
} from '../../../stacks/observability/dashboards.js';
import { metricNames, withLabelMatcher } from '../../../stacks/observability/promql-selectors.js';
import {
  DEFAULT_THRESHOLDS,
  headingAnchor,
  RUNBOOK_URL,
  ruleGroups,
} from '../../../stacks/observability/rules.js';
import { BRIDGE_METRICS, WORKER_METRICS } from '../../../workers/shared/metrics.js';
import { BRIDGE_CONSUMER_GROUP } from '../../../workers/shared/topics.js';

const allExprs = () => ruleGroups().flatMap((g) => g.rules.map((r) => r.expr));

void test('the required alerts exist', () => {
  const names = ruleGroups().flatMap((g) => g.rules.map((r) => r.alert));
  for (const alert of [
    'SensorBridgeConsumerLagGrowing',
    'SensorDeadLetterRateHigh',
    'SensorWorkflowTaskScheduleToStartSlow',
    'SensorWorkflowFailures',
    'PostgresReplicationLagHigh',
    'KafkaUnderReplicatedPartitions',
  ]) {
    assert.ok(names.includes(alert), alert);
  }
  assert.equal(new Set(names).size, names.length, 'alert names are unique');
});

void test('our own metrics in rules come from workers/shared/metrics.ts', () => {
  const ours = new Set<string>([...Object.values(BRIDGE_METRICS), ...Object.values(WORKER_METRICS)]);
  const used = allExprs().flatMap((e) => metricNames(e).filter((n) => n.startsWith('sensor_')));
  assert.ok(used.length > 0);
  // A histogram's series carry a suffix (_bucket, _sum, _count) on the exported name.
  const base = (m: string) => (ours.has(m) ? m : m.replace(/_(bucket|sum|count)$/, ''));
  for (const m of used) assert.ok(ours.has(base(m)), `${m} is not exported by workers/shared/metrics.ts`);
  assert.ok(allExprs().some((e) => e.includes(`consumergroup="${BRIDGE_CONSUMER_GROUP}"`)));
});

void test('thresholds flow into the expressions', () => {
  const groups = ruleGroups({ ...DEFAULT_THRESHOLDS, consumerLag: 12345, scheduleToStartSeconds: 2 });
  const exprs = groups.flatMap((g) => g.rules.map((r) => r.expr));
  assert.ok(exprs.some((e) => e.includes('> 12345')));
  assert.ok(
    exprs.some((e) => e.includes('> 2000')),
    'seconds become the SDK histogram milliseconds',
  );
});

// promtool check rules runs in tests/iac/prometheus-rules.test.ts with the pinned, project-built promtool.

void test('dashboards: unique uids, the provisioned data source, our metrics from workers/shared', () => {
  const all = dashboards();
  const uids = Object.values(all).map((d) => d.uid);
  assert.equal(new Set(uids).size, uids.length);
  for (const want of [
    'sensor-pipeline.json',
    'sensor-kafka.json',
    'sensor-postgres.json',
    'sensor-temporal.json',
    'sensor-keda.json',
  ]) {
    assert.ok(all[want], want);
  }
  const ours = new Set<string>([...Object.values(BRIDGE_METRICS), ...Object.values(WORKER_METRICS)]);
  const pipeline = all['sensor-pipeline.json']!;
  const titles = pipeline.panels.map((p) => p.title);
  for (const want of [
    'Throughput',
    'End-to-end latency',
    'Consumer lag',
    'DLQ and parking rates',
    'Open alerts',
  ])
    assert.ok(titles.includes(want), want);
  for (const d of Object.values(all)) {
    for (const p of d.panels) {
      assert.equal(p.datasource.uid, '${datasource}');
      for (const t of p.targets) {
        for (const m of metricNames(t.expr).filter((n) => n.startsWith('sensor_'))) {
          assert.ok(ours.has(m.replace(/_bucket$/, '')), `${d.uid}/${p.title}: ${m}`);
        }
      }
    }
  }
});

void test('dashboards: a data source variable defaulting to the provisioned one, a namespace variable on every selector', () => {
  for (const d of Object.values(dashboards())) {
    const vars = d.templating.list as { name: string; type: string; current: { value: string } }[];
    const datasource = vars.find((v) => v.name === 'datasource');
    assert.equal(datasource?.type, 'datasource', d.uid);
    assert.equal(datasource.current.value, PROMETHEUS_DATASOURCE_UID, d.uid);
    assert.equal(vars.find((v) => v.name === 'namespace')?.type, 'query', d.uid);
    for (const p of d.panels) {
      for (const t of p.targets) {
        // Each selector carries the matcher once: adding it again to the scoped expression would
        // find a selector without it, and the count of matchers equals the count of selectors.
        const selectorCount = withLabelMatcher(t.expr, 'probe="1"').split('probe="1"').length - 1;
        assert.equal(
          t.expr.split(NAMESPACE_MATCHER).length - 1,
          selectorCount,
          `${d.uid}/${p.title}: ${t.expr}`,
        );
        assert.ok(selectorCount > 0, `${d.uid}/${p.title}: ${t.expr}`);
      }
    }
  }
});

void test('withLabelMatcher adds the matcher to every selector, with or without braces, and to nothing else', () => {
  const m = 'namespace=~"$namespace"';
  assert.equal(
    withLabelMatcher(
      'histogram_quantile(0.95, sum by (le) (rate(a_bucket{job="x",le=~"1|2"}[5m]))) > 1e3',
      m,
    ),
    'histogram_quantile(0.95, sum by (le) (rate(a_bucket{namespace=~"$namespace",job="x",le=~"1|2"}[5m]))) > 1e3',
  );
  assert.equal(
    withLabelMatcher('lag{topic="t"} / on (topic) group_left clamp_min(rate(offset_total[1h]), 0.001)', m),
    'lag{namespace=~"$namespace",topic="t"} / on (topic) group_left clamp_min(rate(offset_total{namespace=~"$namespace"}[1h]), 0.001)',
  );
  assert.equal(
    withLabelMatcher('count(ALERTS{alertname=~"a{1}"}) or vector(0)', m),
    'count(ALERTS{namespace=~"$namespace",alertname=~"a{1}"}) or vector(0)',
  );
  assert.equal(withLabelMatcher('max(x{}) offset 5m', m), 'max(x{namespace=~"$namespace"}) offset 5m');
});

void test("every rule's runbook_url leads to its own section of docs/operations.md", () => {
  const doc = readFileSync(join(repoRoot, 'docs', 'operations.md'), 'utf8');
  const anchors = new Set([...doc.matchAll(/^#{2,4} (.+)$/gm)].map((m) => headingAnchor(m[1]!)));
  const rules = ruleGroups().flatMap((g) => g.rules);
  assert.ok(rules.length >= 10);
  for (const rule of rules) {
    const url = rule.annotations.runbook_url ?? '';
    assert.ok(url.startsWith(`${RUNBOOK_URL}#`), `${rule.alert}: ${url}`);
    const anchor = url.slice(RUNBOOK_URL.length + 1);
    assert.equal(anchor, headingAnchor(`${rule.alert} (${rule.labels.severity})`), rule.alert);
    assert.ok(
      anchors.has(anchor),
      `${rule.alert}: no section '### ${rule.alert} (${rule.labels.severity})' in docs/operations.md`,
    );
  }
  // The slug is GitHub's: punctuation goes, spaces become dashes.
  assert.equal(headingAnchor('SensorBridgeStalled (critical)'), 'sensorbridgestalled-critical');
  assert.equal(headingAnchor('Kafka SCRAM users (Strimzi KafkaUser)'), 'kafka-scram-users-strimzi-kafkauser');
});
