/**
 * The metrics that dashboards and rules may query besides the pipeline's own (whose names are in
 * workers/shared/metrics.ts and whose registries are the bridge's and worker's): each exporter's
 * names as its pinned version emits them. tests/stacks/observability/metric-names.test.ts checks
 * every name a panel or rule selects against the pipeline's registries and this list, and serves
 * the Temporal ones from the local servers (server and SDK both run there).
 */
import { TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';
import { OPERATOR_PINS } from '../lib/operator-pins.js';

/**
 * The Temporal namespace of Temporal's own series as Prometheus stores them. Both the server and the
 * SDK label them `namespace`, and the ServiceMonitor adds the Kubernetes `namespace` target label,
 * which wins (honorLabels false): the scraped one is kept as `exported_namespace`. The server's tally
 * reporter also writes the value with `_` for `-`. The local runs' Prometheus labels its targets the
 * same way (local/prometheus.ts), so the rules select alike there.
 */
export const TEMPORAL_SERVER_NAMESPACE_MATCHER = `exported_namespace="${TEMPORAL_NAMESPACE.replace(/[^A-Za-z0-9_]/g, '_')}"`;
export const TEMPORAL_SDK_NAMESPACE_MATCHER = `exported_namespace="${TEMPORAL_NAMESPACE}"`;

export interface ExporterMetrics {
  /** Who serves them, and at which version. */
  readonly source: string;
  /** Whether the local stack runs this exporter, so that a test can read its names from it. */
  readonly runsLocally: boolean;
  /** Series names as queried (a histogram's as `<name>_bucket`). */
  readonly names: readonly string[];
  /** Names served only once an event happened, which a local run cannot cause: the event, by name. */
  readonly servedOnlyAfter?: Readonly<Record<string, string>>;
}

export const EXPORTER_METRICS = {
  kafkaExporter: {
    source: `Kafka Exporter deployed by Strimzi ${OPERATOR_PINS.strimzi.appVersion} (kafka_exporter: namespace "kafka")`,
    runsLocally: false,
    names: [
      'kafka_brokers',
      'kafka_consumergroup_lag',
      'kafka_topic_partition_current_offset',
      'kafka_topic_partition_under_replicated_partition',
    ],
  },
  cloudNativePg: {
    source: `CloudNativePG ${OPERATOR_PINS['cloudnative-pg'].appVersion} instance exporter, default monitoring queries`,
    runsLocally: false,
    names: [
      'cnpg_backends_total',
      'cnpg_collector_up',
      'cnpg_pg_database_size_bytes',
      'cnpg_pg_replication_lag',
    ],
  },
  keda: {
    source: `KEDA ${OPERATOR_PINS.keda.appVersion} operator (pkg/metricscollector, namespace "keda")`,
    runsLocally: false,
    names: [
      'keda_scaled_object_errors_total',
      'keda_scaler_active',
      'keda_scaler_metrics_latency_seconds',
      'keda_scaler_metrics_value',
    ],
  },
  prometheus: {
    source: 'Prometheus: the series of firing and pending alerts',
    runsLocally: false,
    names: ['ALERTS'],
  },
  temporalServer: {
    source: 'Temporal server (common/metrics/metric_defs.go; counters without a _total suffix)',
    runsLocally: true,
    names: [
      'persistence_latency_bucket',
      'service_requests',
      'workflow_failed',
      'workflow_success',
      'workflow_timeout',
    ],
    servedOnlyAfter: {
      workflow_failed: "a workflow run fails (the pipeline's workflows park what fails; none of them fails)",
    },
  },
  temporalSdk: {
    source: 'Temporal Core SDK of the TypeScript worker (TEMPORAL_SDK_METRICS_PORT)',
    runsLocally: true,
    names: ['temporal_workflow_task_schedule_to_start_latency_bucket'],
  },
} as const satisfies Record<string, ExporterMetrics>;
