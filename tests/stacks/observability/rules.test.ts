/** stacks/observability/rules.ts and dashboards.ts: names from workers/shared, valid for promtool. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../../local/lib/paths.js';
import { dashboards, PROMETHEUS_DATASOURCE_UID } from '../../../stacks/observability/dashboards.js';
import { metricNames } from '../../../stacks/observability/promql-metric-names.js';
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
      assert.equal(p.datasource.uid, PROMETHEUS_DATASOURCE_UID);
      for (const t of p.targets) {
        for (const m of metricNames(t.expr).filter((n) => n.startsWith('sensor_'))) {
          assert.ok(ours.has(m.replace(/_bucket$/, '')), `${d.uid}/${p.title}: ${m}`);
        }
      }
    }
  }
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
