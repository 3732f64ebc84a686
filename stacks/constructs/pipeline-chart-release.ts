import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { METRICS_PORTS } from '../../workers/shared/metrics.js';
import type {
  CertificateIssuer,
  KafkaConnection,
  KafkaCredentials,
  TemporalConnection,
} from '../lib/connections.js';
import { eventWindowEnv, type EventWindow } from '../lib/event-window.js';
import { mergeValues, toValuesYaml } from '../lib/helm-values.js';
import { TlsCertificate } from './tls-certificate.js';

/** The props IngestBridge and SensorWorker take alike: both are clients of Kafka and Temporal. */
export interface PipelineServiceProps {
  readonly namespace: string;
  /** Path of the service's chart (charts/ingest-bridge, charts/sensor-worker) as Terraform sees it (relative to the stack's synth folder). */
  readonly chartPath: string;
  readonly image: { readonly repository: string; readonly tag: string };
  readonly kafka: KafkaConnection;
  /** The service's own KafkaUser. */
  readonly credentials: KafkaCredentials;
  readonly temporal: TemporalConnection;
  /**
   * Signs the client certificate (Temporal mutual TLS); its Secret's ca.crt also verifies Kafka
   * and Postgres.
   */
  readonly issuer: CertificateIssuer;
  readonly taskQueue: string;
  /** Namespace of Prometheus, allowed to scrape the metrics port. */
  readonly monitoringNamespace: string;
  /** @default 1 */
  readonly minReplicas?: number;
  /** @default IngestBridge '500m', SensorWorker '1' */
  readonly cpu?: string;
  /** @default IngestBridge '512Mi', SensorWorker '1Gi' */
  readonly memory?: string;
  /** Event age limit and ledger retention (MAX_EVENT_AGE_MS, LEDGER_RETENTION_MS). @default the services' defaults */
  readonly eventWindow?: EventWindow;
  /** Raw chart values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** What the ingest-bridge and sensor-worker charts take alike, defaults resolved. */
export type PipelineChartInputs = Omit<PipelineServiceProps, 'minReplicas' | 'cpu' | 'memory'> & {
  readonly releaseName: string;
  readonly cpu: string;
  readonly memory: string;
};

/**
 * The client certificate and the Helm release of one of our two charts: the values both share (image,
 * resources, Kafka SASL, Temporal mutual TLS, network policy), then the chart's own, then the user's
 * raw `values` last. Used by IngestBridge and SensorWorker, so that the two cannot drift apart.
 */
export function pipelineChartRelease(
  scope: Construct,
  role: 'bridge' | 'worker',
  p: PipelineChartInputs,
  own: Record<string, unknown>,
): { release: Release; clientCert: TlsCertificate } {
  const clientCert = new TlsCertificate(scope, 'client-certificate', {
    issuer: p.issuer,
    namespace: p.namespace,
    name: `${p.releaseName}-tls`,
    usage: 'client',
    commonName: p.releaseName,
    dependsOn: p.dependsOn,
  });
  const shared = {
    image: { repository: p.image.repository, tag: p.image.tag },
    autoscaling: { enabled: true },
    resources: { requests: { cpu: p.cpu, memory: p.memory }, limits: { memory: p.memory } },
    extraEnv: eventWindowEnv(p.eventWindow, role),
    metrics: { port: METRICS_PORTS[role] },
    tls: { existingSecret: clientCert.secret.secretName },
    kafka: {
      brokers: p.kafka.bootstrapServers,
      ssl: p.kafka.tls,
      sasl: {
        mechanism: p.kafka.saslMechanism,
        username: p.credentials.username,
        existingSecret: p.credentials.secretName,
        passwordKey: p.credentials.passwordKey,
      },
    },
    temporal: {
      address: p.temporal.address,
      namespace: p.temporal.namespace,
      taskQueue: p.taskQueue,
      tls: { enabled: true, serverName: p.temporal.tls.serverName },
    },
    networkPolicy: {
      enabled: true,
      kafkaNamespace: p.kafka.namespace,
      temporalNamespace: p.temporal.releaseNamespace,
      monitoringNamespace: p.monitoringNamespace,
    },
  };
  const release = new Release(scope, 'release', {
    name: p.releaseName,
    chart: p.chartPath,
    namespace: p.namespace,
    createNamespace: false,
    atomic: true,
    wait: true,
    timeout: 600,
    values: [toValuesYaml(mergeValues(mergeValues(shared, own), p.values))],
    dependsOn: [...(p.dependsOn ?? []), clientCert.resource],
  });
  return { release, clientCert };
}
