import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KafkaPoolConfig } from '../config/types.js';
import type { CertificateIssuer, KafkaConnection } from '../lib/connections.js';
import { kubeManifest } from '../lib/kube-manifest.js';
import { TlsCertificate } from './tls-certificate.js';

/** Kafka 4.3.1 with its metadata version, as listed in Strimzi 1.2.0's kafka-versions.yaml. */
const DEFAULTS = {
  kafkaVersion: '4.3.1',
  metadataVersion: '4.3-IV0',
  rackTopologyKey: 'topology.kubernetes.io/zone',
  replicationFactor: 3,
  minInsyncReplicas: 2,
  cruiseControl: true,
  tlsPort: 9093,
  /** Broker metrics kept by the Strimzi Metrics Reporter (regexes); everything else is dropped at source. */
  metricsAllowList: [
    'kafka_server_replicamanager_.*',
    'kafka_controller_kafkacontroller_.*',
    'kafka_server_brokertopicmetrics_.*',
    'kafka_network_requestmetrics_.*',
    'kafka_log_logmanager_.*',
    'kafka_server_raftmetrics_.*',
    'kafka_server_kafkarequesthandlerpool_.*',
  ],
} as const;

export interface StrimziKafkaProps {
  readonly clusterName: string;
  readonly namespace: string;
  /** Namespaces whose pods may reach the client listeners (the pipeline and KEDA). */
  readonly clientNamespaces: readonly string[];
  /** Namespace where the User Operator reconciles KafkaUsers. */
  readonly userNamespace: string;
  readonly brokers: KafkaPoolConfig;
  readonly controllers: KafkaPoolConfig;
  /**
   * Signs the client listener's certificate (the platform CA), so clients verify the brokers with the
   * `ca.crt` of their own certificate Secret instead of a copy of Strimzi's cluster CA.
   * @see https://strimzi.io/docs/operators/latest/configuring#type-GenericKafkaListenerConfigurationBroker-reference
   */
  readonly listenerCertificateIssuer: CertificateIssuer;
  /**
   * Node label whose value becomes `broker.rack`.
   * @default 'topology.kubernetes.io/zone'
   * @see https://strimzi.io/docs/operators/latest/configuring#type-Rack-reference
   */
  readonly rackTopologyKey?: string;
  /** `default.replication.factor` and internal topics' replication factor. @default 3 */
  readonly replicationFactor?: number;
  /** `min.insync.replicas`. @default 2 */
  readonly minInsyncReplicas?: number;
  /**
   * Cruise Control with auto-rebalance on scale up and down.
   * @default true
   * @see https://strimzi.io/docs/operators/latest/deploying#proc-automating-rebalances-str
   */
  readonly cruiseControl?: boolean;
  /** @default '4.3.1' */
  readonly kafkaVersion?: string;
  /** @default '4.3-IV0' */
  readonly metadataVersion?: string;
  /** Extra broker `config` entries, merged last. @default {} */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A KRaft Kafka cluster: separate controller and broker KafkaNodePools, rack awareness, one client
 * listener (TLS + SCRAM-SHA-512, certificate from the platform CA), simple authorization, Cruise
 * Control auto-rebalance, Kafka Exporter and broker metrics.
 *
 * @example
 * const kafka = new StrimziKafka(this, 'kafka', { clusterName: 'sensor-kafka', namespace: 'kafka',
 *   userNamespace: 'sensor-pipeline', clientNamespaces: ['sensor-pipeline'], brokers, controllers,
 *   listenerCertificateIssuer: ca.issuer });
 * new KafkaTopic(this, 'topic', { kafka: kafka.connection, topicName: 'sensor-data', partitions: 48 });
 */
export class StrimziKafka extends Construct {
  public readonly connection: KafkaConnection;
  /** The Kafka resource, for dependsOn. */
  public readonly resource: ITerraformDependable;

  constructor(scope: Construct, id: string, props: StrimziKafkaProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (p.minInsyncReplicas > p.replicationFactor) {
      throw new Error(
        `'minInsyncReplicas' (${p.minInsyncReplicas}) must be <= 'replicationFactor' (${p.replicationFactor})`,
      );
    }
    if (p.replicationFactor > p.brokers.replicas) {
      throw new Error(
        `'replicationFactor' (${p.replicationFactor}) must be <= 'brokers.replicas' (${p.brokers.replicas})`,
      );
    }
    const clusterLabel = { 'strimzi.io/cluster': p.clusterName };
    const dependsOn = [...(p.dependsOn ?? [])];

    const pools = (['controllers', 'brokers'] as const).map((pool) => {
      const cfg = p[pool];
      return kubeManifest(
        this,
        `pool-${pool}`,
        {
          apiVersion: 'kafka.strimzi.io/v1',
          kind: 'KafkaNodePool',
          metadata: {
            name: pool === 'brokers' ? 'broker' : 'controller',
            namespace: p.namespace,
            labels: clusterLabel,
          },
          spec: {
            replicas: cfg.replicas,
            roles: [pool === 'brokers' ? 'broker' : 'controller'],
            storage: {
              type: 'jbod',
              volumes: [
                {
                  id: 0,
                  type: 'persistent-claim',
                  size: cfg.storageSize,
                  deleteClaim: false,
                  kraftMetadata: 'shared',
                },
              ],
            },
            resources: { requests: { cpu: cfg.cpu, memory: cfg.memory }, limits: { memory: cfg.memory } },
          },
        },
        dependsOn,
      );
    });

    const bootstrapHost = `${p.clusterName}-kafka-bootstrap.${p.namespace}.svc`;
    const brokersDomain = `${p.clusterName}-kafka-brokers.${p.namespace}.svc`;
    // Strimzi advertises each broker as <pod>.<cluster>-kafka-brokers.<ns>.svc on internal listeners.
    const listenerCert = new TlsCertificate(this, 'listener-certificate', {
      issuer: p.listenerCertificateIssuer,
      namespace: p.namespace,
      name: `${p.clusterName}-listener-tls`,
      usage: 'server',
      dnsNames: [
        `${p.clusterName}-kafka-bootstrap`,
        bootstrapHost,
        `${bootstrapHost}.cluster.local`,
        `*.${brokersDomain}`,
        `*.${brokersDomain}.cluster.local`,
      ],
      dependsOn,
    });
    const rf = p.replicationFactor;
    const peers = p.clientNamespaces.map((ns) => ({
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
    }));
    const rebalanceTemplates = p.cruiseControl
      ? (['add-brokers', 'remove-brokers'] as const).map((mode) =>
          kubeManifest(
            this,
            `rebalance-${mode}`,
            {
              apiVersion: 'kafka.strimzi.io/v1',
              kind: 'KafkaRebalance',
              metadata: {
                name: `${p.clusterName}-${mode}`,
                namespace: p.namespace,
                labels: clusterLabel,
                annotations: { 'strimzi.io/rebalance-template': 'true' },
              },
              // Default goals of the Cruise Control configuration.
              spec: {},
            },
            dependsOn,
          ),
        )
      : [];

    const kafka = kubeManifest(
      this,
      'kafka',
      {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'Kafka',
        metadata: { name: p.clusterName, namespace: p.namespace },
        spec: {
          kafka: {
            version: p.kafkaVersion,
            metadataVersion: p.metadataVersion,
            // One listener: TLS with SCRAM-SHA-512. No plaintext port exists for a client to fall back to.
            listeners: [
              {
                name: 'tls',
                port: p.tlsPort,
                type: 'internal',
                tls: true,
                authentication: { type: 'scram-sha-512' },
                networkPolicyPeers: peers,
                configuration: {
                  brokerCertChainAndKey: {
                    secretName: listenerCert.secret.secretName,
                    certificate: 'tls.crt',
                    key: 'tls.key',
                  },
                },
              },
            ],
            authorization: { type: 'simple' },
            rack: { type: 'topology-label', topologyKey: p.rackTopologyKey },
            config: {
              'default.replication.factor': rf,
              'min.insync.replicas': p.minInsyncReplicas,
              'offsets.topic.replication.factor': rf,
              'transaction.state.log.replication.factor': rf,
              'transaction.state.log.min.isr': Math.min(p.minInsyncReplicas, rf),
              'auto.create.topics.enable': false,
              // Consumers fetch from the closest replica (same rack) to save cross-zone traffic.
              'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector',
              ...p.config,
            },
            metricsConfig: { type: 'strimziMetricsReporter', values: { allowList: [...p.metricsAllowList] } },
          },
          entityOperator: {
            topicOperator: { watchedNamespace: p.namespace },
            userOperator: { watchedNamespace: p.userNamespace },
          },
          kafkaExporter: { topicRegex: '.*', groupRegex: '.*' },
          ...(p.cruiseControl
            ? {
                cruiseControl: {
                  autoRebalance: [
                    { mode: 'add-brokers', template: { name: `${p.clusterName}-add-brokers` } },
                    { mode: 'remove-brokers', template: { name: `${p.clusterName}-remove-brokers` } },
                  ],
                },
              }
            : {}),
        },
      },
      [...dependsOn, ...pools, ...rebalanceTemplates, listenerCert.resource],
    );
    this.resource = kafka;
    this.connection = {
      clusterName: p.clusterName,
      namespace: p.namespace,
      bootstrapServers: `${bootstrapHost}:${p.tlsPort}`,
      saslMechanism: 'scram-sha-512',
      tls: true,
      userNamespace: p.userNamespace,
    };
  }
}
