import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from './config/types.js';
import { GrafanaDashboards } from './constructs/grafana-dashboards.js';
import type { MonitoringDiscovery } from './constructs/kube-prometheus-stack.js';
import { PodMonitor } from './constructs/pod-monitor.js';
import { PrometheusRules } from './constructs/prometheus-rules.js';
import type { KafkaConnection, PostgresConnection } from './lib/connections.js';
import { setupStack } from './stack-setup.js';
import { dashboards } from './observability/dashboards.js';
import { DEFAULT_THRESHOLDS, ruleGroups } from './observability/rules.js';

export interface ObservabilityStackProps {
  readonly config: EnvironmentConfig;
  readonly discovery: MonitoringDiscovery;
  readonly kafka: KafkaConnection;
  readonly postgres: PostgresConnection;
}

/**
 * Layer 4: dashboards, alerting rules and the PodMonitors of the data plane. Our charts and the
 * Temporal chart ship their own ServiceMonitors; operators' monitors come from their charts.
 */
export class ObservabilityStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: ObservabilityStackProps) {
    super(scope, id);
    const { config, discovery, kafka, postgres } = props;
    setupStack(this, config, id, false);

    new GrafanaDashboards(this, 'dashboards', { discovery, dashboards: dashboards() });
    new PrometheusRules(this, 'rules', {
      name: 'sensor-pipeline',
      namespace: discovery.namespace,
      groups: ruleGroups({
        ...DEFAULT_THRESHOLDS,
        consumerLag: config.observability.consumerLagAlert,
        dlqRate: config.observability.dlqRateAlert,
        scheduleToStartSeconds: config.observability.scheduleToStartAlertSeconds,
        rangeReadAgeSeconds: ((config.kafka.topics.sensorData?.retentionHours ?? 24) * 3600) / 4,
        bridgeBacklogAgeSeconds: ((config.kafka.topics.sensorData?.retentionHours ?? 24) * 3600) / 2,
      }),
    });

    // Strimzi: brokers and controllers (Strimzi Metrics Reporter) and Cruise Control on tcp-prometheus.
    new PodMonitor(this, 'kafka-resources', {
      name: `${kafka.clusterName}-resources`,
      namespace: kafka.namespace,
      matchExpressions: [
        { key: 'strimzi.io/kind', operator: 'In', values: ['Kafka'] },
        { key: 'strimzi.io/cluster', operator: 'In', values: [kafka.clusterName] },
      ],
      port: 'tcp-prometheus',
      podTargetLabels: ['strimzi.io/cluster', 'strimzi.io/pool-name', 'strimzi.io/name'],
    });
    // The Strimzi chart ships no monitor for its operator (reconciliation metrics on port `http`).
    new PodMonitor(this, 'strimzi-operator', {
      name: 'strimzi-cluster-operator',
      namespace: config.namespaces.operators,
      matchLabels: { 'strimzi.io/kind': 'cluster-operator' },
      port: 'http',
    });
    new PodMonitor(this, 'cnpg', {
      name: `${postgres.clusterName}-instances`,
      namespace: postgres.namespace,
      matchLabels: { 'cnpg.io/cluster': postgres.clusterName, 'cnpg.io/podRole': 'instance' },
      port: 'metrics',
      podTargetLabels: ['cnpg.io/cluster', 'cnpg.io/instanceRole'],
    });
    new PodMonitor(this, 'pgbouncer', {
      name: `${postgres.clusterName}-pooler`,
      namespace: postgres.namespace,
      matchLabels: { 'cnpg.io/poolerName': postgres.poolerName },
      port: 'metrics',
    });
  }
}
