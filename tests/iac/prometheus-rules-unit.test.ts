/**
 * Each alerting rule fires on the fault it is for and stays quiet on a healthy pipeline, as
 * `promtool test rules` evaluates it (Prometheus's own rule engine, pinned): one case per rule with
 * series that break it, one with series that do not. A rule without a case fails the test, and a
 * control shows that a rule whose threshold moved fails its case.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { run } from '../../local/lib/proc.js';
import { ensureGoTool } from '../../local/tools/go.js';
import type { RuleGroup } from '../../stacks/constructs/prometheus-rules.js';
import {
  TEMPORAL_SDK_NAMESPACE_MATCHER,
  TEMPORAL_SERVER_NAMESPACE_MATCHER,
} from '../../stacks/observability/exporter-metrics.js';
import { DEFAULT_THRESHOLDS, ruleGroups, type RuleThresholds } from '../../stacks/observability/rules.js';
import { BRIDGE_METRICS, WORKER_METRICS } from '../../workers/shared/metrics.js';
import { TASK_QUEUE } from '../../workers/shared/temporal.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';

let promtool: string;
let dir: string;

before(async () => {
  promtool = await ensureGoTool('promtool');
  dir = mkdtempSync(join(tmpdir(), 'promtool-unit-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Series {
  readonly series: string;
  /** promtool's expanding notation, one sample a minute: `a+bxN`, `axN`, `_` for none. */
  readonly values: string;
}

interface RuleCase {
  /** Series that break the rule, the minute to evaluate at, and the labels the alert carries. */
  readonly firing: { readonly input: Series[]; readonly at: string; readonly labels: Record<string, string> };
  /** Series of a healthy pipeline: no alert at the same minute. */
  readonly quiet: Series[];
}

const sdkNamespace = TEMPORAL_SDK_NAMESPACE_MATCHER;
const serverNamespace = TEMPORAL_SERVER_NAMESPACE_MATCHER;
const lag = (partition: string) =>
  `kafka_consumergroup_lag{consumergroup="${BRIDGE_CONSUMER_GROUP}",topic="${TOPICS.sensorData}",partition="${partition}"}`;
const offset = (partition: string) =>
  `kafka_topic_partition_current_offset{topic="${TOPICS.sensorData}",partition="${partition}"}`;
const histogram = (name: string, labels: string, bounds: [string, string][]): Series[] =>
  bounds.map(([le, values]) => ({
    series: `${name}_bucket{${labels}${labels ? ',' : ''}le="${le}"}`,
    values,
  }));

/** One case per rule, by alert name; each fault is what the rule's runbook section describes. */
const CASES: Record<string, RuleCase> = {
  // Lag above 1,000,000 and still growing for 10 minutes.
  SensorBridgeConsumerLagGrowing: {
    firing: { input: [{ series: lag('0'), values: '1000000+10000x60' }], at: '40m', labels: {} },
    quiet: [{ series: lag('0'), values: '2000000-10000x60' }],
  },
  // Lag, and nothing consumed for 5 minutes.
  SensorBridgeStalled: {
    firing: {
      input: [
        { series: BRIDGE_METRICS.eventsConsumed, values: '1000x30' },
        { series: lag('0'), values: '500x30' },
      ],
      at: '20m',
      labels: {},
    },
    quiet: [
      { series: BRIDGE_METRICS.eventsConsumed, values: '1000+600x30' },
      { series: lag('0'), values: '500x30' },
    ],
  },
  // 20 dead letters a second for 10 minutes (threshold 10).
  SensorDeadLetterRateHigh: {
    firing: { input: [{ series: WORKER_METRICS.deadLettered, values: '0+1200x40' }], at: '30m', labels: {} },
    quiet: [{ series: WORKER_METRICS.deadLettered, values: '0+60x40' }],
  },
  // Ranges read a day after their first record (threshold 6 h).
  SensorBatchRangesNearExpiry: {
    firing: {
      input: histogram(WORKER_METRICS.rangeReadAge, '', [
        ['3600', '0x60'],
        ['86400', '0+10x60'],
        ['+Inf', '0+10x60'],
      ]),
      at: '40m',
      labels: {},
    },
    quiet: histogram(WORKER_METRICS.rangeReadAge, '', [
      ['3600', '0+10x60'],
      ['86400', '0+10x60'],
      ['+Inf', '0+10x60'],
    ]),
  },
  // 100,000 records behind a partition that takes one a minute: far beyond half the retention.
  SensorBridgeBacklogNearRetention: {
    firing: {
      input: [
        { series: lag('3'), values: '100000x120' },
        { series: offset('3'), values: '1000+1x120' },
      ],
      at: '90m',
      labels: { partition: '3' },
    },
    quiet: [
      { series: lag('3'), values: '100x120' },
      { series: offset('3'), values: '1000+6000x120' },
    ],
  },
  // Offsets deleted under the bridge.
  SensorBridgeRetentionGap: {
    firing: {
      input: [{ series: BRIDGE_METRICS.retentionGapRecords, values: '0 0 0 5x20' }],
      at: '10m',
      labels: {},
    },
    quiet: [{ series: BRIDGE_METRICS.retentionGapRecords, values: '0x20' }],
  },
  // A batch parked because its range was not on the log.
  SensorBatchesParked: {
    firing: {
      input: [{ series: `${WORKER_METRICS.batchesParked}{reason="records-missing"}`, values: '0 0 1x20' }],
      at: '5m',
      labels: { reason: 'records-missing' },
    },
    quiet: [{ series: `${WORKER_METRICS.batchesParked}{reason="records-missing"}`, values: '0x20' }],
  },
  // Valid events parked for 15 minutes.
  SensorEventsParked: {
    firing: { input: [{ series: WORKER_METRICS.eventsParked, values: '0+1x60' }], at: '40m', labels: {} },
    quiet: [{ series: WORKER_METRICS.eventsParked, values: '3x60' }],
  },
  // Workflow tasks wait seconds for a worker (threshold 1 s, the histogram is in milliseconds).
  SensorWorkflowTaskScheduleToStartSlow: {
    firing: {
      input: histogram(
        'temporal_workflow_task_schedule_to_start_latency',
        `${sdkNamespace},task_queue="${TASK_QUEUE}"`,
        [
          ['100', '0x40'],
          ['5000', '0+10x40'],
          ['+Inf', '0+10x40'],
        ],
      ),
      at: '30m',
      labels: {},
    },
    quiet: histogram(
      'temporal_workflow_task_schedule_to_start_latency',
      `${sdkNamespace},task_queue="${TASK_QUEUE}"`,
      [
        ['100', '0+10x40'],
        ['5000', '0+10x40'],
        ['+Inf', '0+10x40'],
      ],
    ),
  },
  // A batch workflow fails every minute.
  SensorWorkflowFailures: {
    firing: {
      input: [{ series: `workflow_failed{${serverNamespace}}`, values: '0+1x30' }],
      at: '20m',
      labels: {},
    },
    quiet: [{ series: `workflow_failed{${serverNamespace}}`, values: '2x30' }],
  },
  KafkaUnderReplicatedPartitions: {
    firing: {
      input: [
        {
          series: `kafka_topic_partition_under_replicated_partition{topic="${TOPICS.sensorData}",partition="0"}`,
          values: '1x20',
        },
      ],
      at: '10m',
      labels: { topic: TOPICS.sensorData },
    },
    quiet: [
      {
        series: `kafka_topic_partition_under_replicated_partition{topic="${TOPICS.sensorData}",partition="0"}`,
        values: '0x20',
      },
    ],
  },
  // A standby a minute behind (threshold 30 s).
  PostgresReplicationLagHigh: {
    firing: {
      input: [{ series: 'cnpg_pg_replication_lag{namespace="postgres",pod="sensor-pg-2"}', values: '60x20' }],
      at: '10m',
      labels: { namespace: 'postgres', pod: 'sensor-pg-2' },
    },
    quiet: [{ series: 'cnpg_pg_replication_lag{namespace="postgres",pod="sensor-pg-2"}', values: '2x20' }],
  },
};

/** The rules as Prometheus loads them, without annotations: the cases check when rules fire. */
function rulesFile(groups: RuleGroup[]): string {
  const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    stringify({
      groups: groups.map((g) => ({
        name: g.name,
        rules: g.rules.map((r) => ({ alert: r.alert, expr: r.expr, for: r.for, labels: r.labels })),
      })),
    }),
  );
  return file;
}

/** `promtool test rules` of every case against the rules of `thresholds`. */
async function promtoolTest(thresholds: RuleThresholds): Promise<{ ok: boolean; output: string }> {
  const groups = ruleGroups(thresholds);
  const severity = new Map(groups.flatMap((g) => g.rules.map((r) => [r.alert, r.labels.severity])));
  const tests = Object.entries(CASES).flatMap(([alert, c]) => [
    {
      name: `${alert} fires`,
      interval: '1m',
      input_series: c.firing.input,
      alert_rule_test: [
        {
          eval_time: c.firing.at,
          alertname: alert,
          exp_alerts: [{ exp_labels: { ...c.firing.labels, severity: severity.get(alert) } }],
        },
      ],
    },
    {
      name: `${alert} stays quiet`,
      interval: '1m',
      input_series: c.quiet,
      alert_rule_test: [{ eval_time: c.firing.at, alertname: alert, exp_alerts: [] }],
    },
  ]);
  const testFile = join(dir, `tests-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(testFile, stringify({ rule_files: [rulesFile(groups)], evaluation_interval: '1m', tests }));
  try {
    return { ok: true, output: await run(promtool, ['test', 'rules', testFile]) };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}

void test('every alerting rule has a case', () => {
  const alerts = ruleGroups().flatMap((g) => g.rules.map((r) => r.alert));
  assert.deepEqual(Object.keys(CASES).sort(), [...alerts].sort());
});

void test('each rule fires on its fault and stays quiet on a healthy pipeline (promtool test rules)', async () => {
  const { ok, output } = await promtoolTest(DEFAULT_THRESHOLDS);
  assert.ok(ok, output);
  assert.match(output, /SUCCESS/);
});

void test('control: a dead-letter threshold moved above the fault fails its case', async () => {
  const { ok, output } = await promtoolTest({ ...DEFAULT_THRESHOLDS, dlqRate: 1000 });
  assert.equal(ok, false, output);
  assert.match(output, /SensorDeadLetterRateHigh fires/);
});
