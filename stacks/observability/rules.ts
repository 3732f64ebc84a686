/**
 * Alerting rules as data, so tests can write them out for `promtool check rules` and the
 * PrometheusRules construct can apply them. Our own metric names come from workers/shared/metrics.ts;
 * exporter metrics are those the pinned exporters emit, listed in exporter-metrics.ts (a test reads
 * every name queried here from the processes and servers that emit it: metric-names.test.ts). Units:
 * cnpg_pg_replication_lag is in seconds, the SDK's schedule-to-start histogram in milliseconds;
 * Temporal server counters have no _total suffix; Temporal's namespace label: exporter-metrics.ts.
 */
import { BRIDGE_METRICS, WORKER_METRICS } from '../../workers/shared/metrics.js';
import { TASK_QUEUE } from '../../workers/shared/temporal.js';
import { TEMPORAL_SDK_NAMESPACE_MATCHER, TEMPORAL_SERVER_NAMESPACE_MATCHER } from './exporter-metrics.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';
import type { RuleGroup } from '../constructs/prometheus-rules.js';

export interface RuleThresholds {
  /** Messages of lag on the bridge's consumer group. */
  readonly consumerLag: number;
  /** DLQ messages per second. */
  readonly dlqRate: number;
  /** p95 workflow task schedule-to-start, seconds. */
  readonly scheduleToStartSeconds: number;
  /** Replica lag behind the primary, seconds. */
  readonly replicationLagSeconds: number;
  /**
   * Age of a batch range's first record when the worker reads it, seconds: a quarter of sensor-data's
   * retention, so that the alert fires long before ranges expire (claim check, decision 0008).
   */
  readonly rangeReadAgeSeconds: number;
  /**
   * Estimated age of the oldest sensor-data record the bridge has not committed, seconds: half of the
   * topic's retention, so that the alert leaves half the retention to act before records are deleted
   * under the bridge (a retention gap). Estimated from Kafka Exporter's lag and input rate, so it also
   * fires while no bridge runs (issue 23, finding 6).
   */
  readonly bridgeBacklogAgeSeconds: number;
}

export const DEFAULT_THRESHOLDS: RuleThresholds = {
  consumerLag: 1_000_000,
  dlqRate: 10,
  scheduleToStartSeconds: 1,
  replicationLagSeconds: 30,
  rangeReadAgeSeconds: 6 * 3600,
  bridgeBacklogAgeSeconds: 12 * 3600,
};

const lagSelector = `consumergroup="${BRIDGE_CONSUMER_GROUP}",topic="${TOPICS.sensorData}"`;

/**
 * Seconds of input the bridge's group is behind, per partition: its lag over the partition's input
 * rate in the last hour (at a steady rate, the age of the oldest record it has not committed). A
 * partition without input in that hour counts a message per 1,000 s, so a lag that input stopped
 * feeding still ages into the alert.
 */
const backlogSeconds = `kafka_consumergroup_lag{${lagSelector}} / on (topic, partition) group_left clamp_min(rate(kafka_topic_partition_current_offset{topic="${TOPICS.sensorData}"}[1h]), 0.001)`;

/** The runbook: docs/operations.md, one section per alert, as the repository serves it. */
export const RUNBOOK_URL = 'https://github.com/sensor-pipeline/platform/blob/main/docs/operations.md';

/** The anchor a Markdown heading gets (GitHub's: lower case, punctuation dropped, spaces to dashes). */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * Every alerting rule group of the pipeline, each rule with `runbook_url` pointing at its section of
 * docs/operations.md (`### <alert> (<severity>)`), so the page an alert sends leads to what to do.
 */
export function ruleGroups(t: RuleThresholds = DEFAULT_THRESHOLDS): RuleGroup[] {
  return rawRuleGroups(t).map((group) => ({
    ...group,
    rules: group.rules.map((rule) => ({
      ...rule,
      annotations: {
        ...rule.annotations,
        runbook_url: `${RUNBOOK_URL}#${headingAnchor(`${rule.alert} (${rule.labels.severity})`)}`,
      },
    })),
  }));
}

function rawRuleGroups(t: RuleThresholds): RuleGroup[] {
  return [
    {
      name: 'sensor-pipeline.ingest',
      rules: [
        {
          alert: 'SensorBridgeConsumerLagGrowing',
          expr: `sum(kafka_consumergroup_lag{${lagSelector}}) > ${t.consumerLag} and deriv(sum(kafka_consumergroup_lag{${lagSelector}})[15m:1m]) > 0`,
          for: '10m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Ingest bridge falls behind on sensor-data',
            description:
              'Lag of {{ $value | humanize }} messages and still growing for 10 minutes: KEDA is at maxReplicas or the bridge is blocked (see docs/sre-guide.md).',
          },
        },
        {
          alert: 'SensorBridgeStalled',
          expr: `sum(rate(${BRIDGE_METRICS.eventsConsumed}[5m])) == 0 and sum(kafka_consumergroup_lag{${lagSelector}}) > 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Ingest bridge consumes nothing while lag exists',
            description: 'No events consumed for 5 minutes with a non-zero lag.',
          },
        },
        {
          alert: 'SensorDeadLetterRateHigh',
          expr: `sum(rate(${WORKER_METRICS.deadLettered}[5m])) > ${t.dlqRate}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Malformed sensor events are dead-lettered',
            description: '{{ $value | humanize }} messages/s go to the DLQ; check the dlq-reason header.',
          },
        },
        {
          alert: 'SensorBatchRangesNearExpiry',
          expr: `histogram_quantile(0.99, sum(rate(${WORKER_METRICS.rangeReadAge}_bucket[10m])) by (le)) > ${t.rangeReadAgeSeconds}`,
          for: '10m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Batches run so late that their records near sensor-data retention',
            description:
              'Workers read ranges whose first record is {{ $value | humanizeDuration }} old. Batch workflows name their records on sensor-data; once retention deletes them the batch is parked as range-expired. Add workers or fix what blocks them.',
          },
        },
        {
          alert: 'SensorBridgeBacklogNearRetention',
          expr: `max by (partition) (${backlogSeconds}) > ${t.bridgeBacklogAgeSeconds}`,
          for: '15m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'sensor-data partition {{ $labels.partition }}: the bridge is half the retention behind',
            description:
              'The oldest record the bridge has not committed is about {{ $value | humanizeDuration }} old (lag over the input rate). Past the retention Kafka deletes it and the bridge skips the gap (SensorBridgeRetentionGap). Get the bridge consuming, or raise kafka.topics.sensorData.retentionHours now (docs/operations.md).',
          },
        },
        {
          alert: 'SensorBridgeRetentionGap',
          expr: `sum(increase(${BRIDGE_METRICS.retentionGapRecords}[1h])) > 0`,
          for: '0m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Records of sensor-data were deleted before the bridge consumed them',
            description:
              'About {{ $value | humanize }} records in the last hour: retention overtook the bridge (or records were deleted by hand). Each lost span is a ParkedRange note with reason retention-gap on the parking topic, naming its partition and offsets; its readings were never applied (docs/operations.md).',
          },
        },
        {
          alert: 'SensorBatchesParked',
          expr: `sum by (reason) (increase(${WORKER_METRICS.batchesParked}[15m])) > 0`,
          for: '0m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Batches parked: {{ $labels.reason }}',
            description:
              'A batch could not be processed as claimed (range-expired, range-replaced, records-missing) or failed permanently; see the parking topic and docs/operations.md.',
          },
        },
        {
          alert: 'SensorEventsParked',
          expr: `sum(rate(${WORKER_METRICS.eventsParked}[15m])) > 0`,
          for: '15m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Events fail permanently and are parked',
            description: 'Valid events are being parked; fix the cause, then re-drive the parking topic.',
          },
        },
      ],
    },
    {
      name: 'sensor-pipeline.temporal',
      rules: [
        {
          alert: 'SensorWorkflowTaskScheduleToStartSlow',
          expr: `histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_schedule_to_start_latency_bucket{${TEMPORAL_SDK_NAMESPACE_MATCHER},task_queue="${TASK_QUEUE}"}[5m]))) > ${t.scheduleToStartSeconds * 1000}`,
          for: '10m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Workflow tasks wait for workers',
            description:
              'p95 schedule-to-start is {{ $value | humanize }} ms: workers are saturated or KEDA is at maxReplicas.',
          },
        },
        {
          alert: 'SensorWorkflowFailures',
          expr: `(sum(rate(workflow_failed{${TEMPORAL_SERVER_NAMESPACE_MATCHER}}[5m])) or vector(0)) + (sum(rate(workflow_timeout{${TEMPORAL_SERVER_NAMESPACE_MATCHER}}[5m])) or vector(0)) > 0`,
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Sensor workflows fail or time out',
            description: 'Batch workflows end in failure: their events are not processed until re-driven.',
          },
        },
      ],
    },
    {
      name: 'sensor-pipeline.data-plane',
      rules: [
        {
          alert: 'KafkaUnderReplicatedPartitions',
          expr: 'sum by (topic) (kafka_topic_partition_under_replicated_partition) > 0',
          for: '5m',
          labels: { severity: 'critical' },
          annotations: {
            summary: 'Topic {{ $labels.topic }} has under-replicated partitions',
            description: 'A broker is down or cannot keep up; one more failure can lose acknowledged writes.',
          },
        },
        {
          alert: 'PostgresReplicationLagHigh',
          expr: `max by (namespace, pod) (cnpg_pg_replication_lag) > ${t.replicationLagSeconds}`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Postgres replica {{ $labels.pod }} lags the primary',
            description:
              'Replica is {{ $value | humanize }} s behind; failover would lose or wait for that much.',
          },
        },
      ],
    },
  ];
}
