/**
 * Grafana dashboards as data (JSON models), loaded by the Grafana sidecar from ConfigMaps.
 * Metric names: ours from workers/shared/metrics.ts, exporters' from exporter-metrics.ts (checked by
 * tests/stacks/observability/metric-names.test.ts against what the processes serve).
 */
import { BRIDGE_METRICS, WORKER_METRICS } from '../../workers/shared/metrics.js';
import { TASK_QUEUE } from '../../workers/shared/temporal.js';
import { TEMPORAL_SDK_NAMESPACE_MATCHER, TEMPORAL_SERVER_NAMESPACE_MATCHER } from './exporter-metrics.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';
import type { Dashboard, Panel, Target } from '../constructs/grafana-dashboards.js';
import { withLabelMatcher } from './promql-selectors.js';

/** kube-prometheus-stack provisions its Prometheus data source with this uid (grafana.sidecar.datasources.uid). */
export const PROMETHEUS_DATASOURCE_UID = 'prometheus';
/** Panels query the data source the `datasource` variable names (by default the provisioned one). */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
/** Every selector of every panel is narrowed to the namespaces picked in the `namespace` variable. */
export const NAMESPACE_MATCHER = 'namespace=~"$namespace"';

/**
 * The variables every dashboard has: which Prometheus (a Grafana with several clusters' data sources
 * picks one), and which namespaces (all by default; one platform's when a cluster runs several).
 */
function variables(): Dashboard['templating'] {
  return {
    list: [
      {
        name: 'datasource',
        label: 'Data source',
        type: 'datasource',
        query: 'prometheus',
        current: { text: 'Prometheus', value: PROMETHEUS_DATASOURCE_UID },
        hide: 0,
      },
      {
        name: 'namespace',
        label: 'Namespace',
        type: 'query',
        datasource: DATASOURCE,
        query: { query: 'label_values(up, namespace)', refId: 'namespaces' },
        definition: 'label_values(up, namespace)',
        refresh: 2,
        includeAll: true,
        allValue: '.*',
        multi: true,
        current: { text: 'All', value: '$__all' },
        sort: 1,
        hide: 0,
      },
    ],
  };
}

function dashboard(
  uid: string,
  title: string,
  panels: readonly [string, string, readonly Target[], Panel['type']?][],
): Dashboard {
  return {
    uid,
    title,
    tags: ['sensor-pipeline'],
    schemaVersion: 39,
    refresh: '30s',
    time: { from: 'now-3h', to: 'now' },
    templating: variables(),
    panels: panels.map(([panelTitle, unit, targets, type], i) => ({
      id: i + 1,
      type: type ?? 'timeseries',
      title: panelTitle,
      gridPos: { x: (i % 2) * 12, y: Math.floor(i / 2) * 8, w: 12, h: 8 },
      datasource: DATASOURCE,
      fieldConfig: { defaults: { unit }, overrides: [] },
      targets: targets.map((t, j) => ({
        ...t,
        expr: withLabelMatcher(t.expr, NAMESPACE_MATCHER),
        refId: String.fromCharCode(65 + j),
      })),
    })),
  };
}

const lag = `kafka_consumergroup_lag{consumergroup="${BRIDGE_CONSUMER_GROUP}",topic="${TOPICS.sensorData}"}`;

/** Every dashboard, keyed by the ConfigMap file name. */
export function dashboards(): Record<string, Dashboard> {
  return {
    'sensor-pipeline.json': dashboard('sensor-pipeline', 'Sensor pipeline', [
      [
        'Throughput',
        'ops',
        [
          { expr: `sum(rate(${BRIDGE_METRICS.eventsConsumed}[1m]))`, legendFormat: 'consumed' },
          { expr: `sum(rate(${WORKER_METRICS.eventsProcessed}[1m]))`, legendFormat: 'processed' },
          { expr: `sum(rate(${BRIDGE_METRICS.batchesStarted}[1m]))`, legendFormat: 'batches started' },
        ],
      ],
      [
        'End-to-end latency',
        's',
        [0.5, 0.95, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le) (rate(${WORKER_METRICS.endToEndLatency}_bucket[5m])))`,
          legendFormat: `p${q * 100}`,
        })),
      ],
      [
        'Consumer lag',
        'short',
        [
          { expr: `sum(${lag})`, legendFormat: 'lag (Kafka Exporter)' },
          { expr: `sum(${BRIDGE_METRICS.consumerLag})`, legendFormat: 'lag (bridge)' },
        ],
      ],
      [
        'DLQ and parking rates',
        'ops',
        [
          { expr: `sum(rate(${WORKER_METRICS.deadLettered}[5m]))`, legendFormat: 'dead-lettered' },
          { expr: `sum(rate(${WORKER_METRICS.eventsParked}[5m]))`, legendFormat: 'parked' },
          { expr: `sum(rate(${WORKER_METRICS.duplicatesSkipped}[5m]))`, legendFormat: 'duplicates skipped' },
        ],
      ],
      [
        'Open alerts',
        'short',
        [
          {
            expr: `sum(max by (status, level) (${WORKER_METRICS.alertsOpen}))`,
            legendFormat: 'device alerts open',
          },
          {
            expr: `count(ALERTS{alertstate="firing",alertname=~"Sensor.*|Kafka.*|Postgres.*"}) or vector(0)`,
            legendFormat: 'platform alerts firing',
          },
        ],
        'stat',
      ],
      [
        'Workflow start latency (bridge)',
        's',
        [
          {
            expr: `histogram_quantile(0.95, sum by (le) (rate(${BRIDGE_METRICS.startLatency}_bucket[5m])))`,
            legendFormat: 'p95',
          },
        ],
      ],
      [
        'In-flight batches and paused partitions',
        'short',
        [
          { expr: `sum(${BRIDGE_METRICS.inFlightBatches})`, legendFormat: 'in flight' },
          { expr: `sum(${BRIDGE_METRICS.pausedPartitions})`, legendFormat: 'paused partitions' },
        ],
      ],
    ]),
    'sensor-kafka.json': dashboard('sensor-kafka', 'Kafka (Strimzi)', [
      [
        'Under-replicated partitions',
        'short',
        [
          {
            expr: 'sum by (topic) (kafka_topic_partition_under_replicated_partition)',
            legendFormat: '{{topic}}',
          },
        ],
      ],
      [
        'Produce rate by topic',
        'ops',
        [
          {
            expr: 'sum by (topic) (rate(kafka_topic_partition_current_offset[5m]))',
            legendFormat: '{{topic}}',
          },
        ],
      ],
      [
        'Consumer lag by group',
        'short',
        [
          {
            expr: 'sum by (consumergroup, topic) (kafka_consumergroup_lag)',
            legendFormat: '{{consumergroup}} / {{topic}}',
          },
        ],
      ],
      ['Brokers', 'short', [{ expr: 'max(kafka_brokers)', legendFormat: 'brokers' }], 'stat'],
    ]),
    'sensor-postgres.json': dashboard('sensor-postgres', 'Postgres (CloudNativePG)', [
      ['Replication lag', 's', [{ expr: 'max by (pod) (cnpg_pg_replication_lag)', legendFormat: '{{pod}}' }]],
      [
        'Backends by database',
        'short',
        [{ expr: 'sum by (datname) (cnpg_backends_total)', legendFormat: '{{datname}}' }],
      ],
      [
        'Database size',
        'bytes',
        [{ expr: 'max by (datname) (cnpg_pg_database_size_bytes)', legendFormat: '{{datname}}' }],
      ],
      [
        'Exporter up',
        'short',
        [{ expr: 'min by (pod) (cnpg_collector_up)', legendFormat: '{{pod}}' }],
        'stat',
      ],
    ]),
    'sensor-temporal.json': dashboard('sensor-temporal', 'Temporal', [
      [
        'Requests by service',
        'reqps',
        [{ expr: 'sum by (service_name) (rate(service_requests[5m]))', legendFormat: '{{service_name}}' }],
      ],
      [
        'Workflow outcomes',
        'ops',
        [
          {
            expr: `sum(rate(workflow_success{${TEMPORAL_SERVER_NAMESPACE_MATCHER}}[5m]))`,
            legendFormat: 'success',
          },
          {
            expr: `sum(rate(workflow_failed{${TEMPORAL_SERVER_NAMESPACE_MATCHER}}[5m]))`,
            legendFormat: 'failed',
          },
          {
            expr: `sum(rate(workflow_timeout{${TEMPORAL_SERVER_NAMESPACE_MATCHER}}[5m]))`,
            legendFormat: 'timeout',
          },
        ],
      ],
      [
        'Persistence latency p95',
        's',
        [
          {
            expr: 'histogram_quantile(0.95, sum by (operation, le) (rate(persistence_latency_bucket[5m])))',
            legendFormat: '{{operation}}',
          },
        ],
      ],
      [
        'Workflow task schedule-to-start p95 (worker SDK)',
        'ms',
        [
          {
            expr: `histogram_quantile(0.95, sum by (le) (rate(temporal_workflow_task_schedule_to_start_latency_bucket{${TEMPORAL_SDK_NAMESPACE_MATCHER},task_queue="${TASK_QUEUE}"}[5m])))`,
            legendFormat: 'p95',
          },
        ],
      ],
    ]),
    'sensor-keda.json': dashboard('sensor-keda', 'KEDA autoscaling', [
      [
        'Scaler metric value',
        'short',
        [
          {
            expr: 'sum by (scaledObject, scaler) (keda_scaler_metrics_value)',
            legendFormat: '{{scaledObject}} / {{scaler}}',
          },
        ],
      ],
      [
        'Scaler active',
        'short',
        [{ expr: 'max by (scaledObject) (keda_scaler_active)', legendFormat: '{{scaledObject}}' }],
      ],
      [
        'ScaledObject errors',
        'ops',
        [
          {
            expr: 'sum by (scaledObject) (rate(keda_scaled_object_errors_total[5m]))',
            legendFormat: '{{scaledObject}}',
          },
        ],
      ],
      [
        'Scaler latency',
        's',
        [
          {
            expr: 'max by (scaledObject) (keda_scaler_metrics_latency_seconds)',
            legendFormat: '{{scaledObject}}',
          },
        ],
      ],
    ]),
  };
}
