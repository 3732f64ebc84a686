import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KafkaConnection } from '../lib/connections.js';
import { kubeManifest } from '../lib/kube-manifest.js';

const DEFAULTS = {
  replicas: 3,
  retentionHours: 24,
  minInsyncReplicas: 2,
  /** Keep the producer's codec (gzip from kafkajs, the only one it reads natively): no broker recompression. */
  compressionType: 'producer',
} as const;

export interface KafkaTopicProps {
  readonly kafka: KafkaConnection;
  /** Topic name, from workers/shared/topics.ts. */
  readonly topicName: string;
  readonly partitions: number;
  /** @default 3 */
  readonly replicas?: number;
  /** @default 2 */
  readonly minInsyncReplicas?: number;
  /** `retention.ms`, in hours. @default 24 */
  readonly retentionHours?: number;
  /**
   * Topic config entries merged last.
   * @default {}
   * @see https://kafka.apache.org/documentation/#topicconfigs
   */
  readonly config?: Readonly<Record<string, string | number | boolean>>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A KafkaTopic reconciled by the Topic Operator.
 *
 * @example
 * new KafkaTopic(this, 'sensor-data', { kafka: kafka.connection, topicName: TOPICS.sensorData, partitions: 48 });
 */
export class KafkaTopic extends Construct {
  public readonly topicName: string;
  public readonly partitions: number;

  constructor(scope: Construct, id: string, props: KafkaTopicProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (!Number.isInteger(p.partitions) || p.partitions < 1) {
      throw new Error(`'partitions' (${p.partitions}) of topic '${p.topicName}' must be an integer >= 1`);
    }
    if (p.minInsyncReplicas > p.replicas) {
      throw new Error(
        `'minInsyncReplicas' (${p.minInsyncReplicas}) of topic '${p.topicName}' must be <= 'replicas' (${p.replicas})`,
      );
    }
    this.topicName = p.topicName;
    this.partitions = p.partitions;
    kubeManifest(
      this,
      'topic',
      {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaTopic',
        metadata: {
          name: p.topicName,
          namespace: p.kafka.namespace,
          labels: { 'strimzi.io/cluster': p.kafka.clusterName },
        },
        spec: {
          topicName: p.topicName,
          partitions: p.partitions,
          replicas: p.replicas,
          config: {
            // Delete, never compact: batch workflows name offset ranges (claim check), and compaction
            // would open gaps inside them.
            'cleanup.policy': 'delete',
            'retention.ms': p.retentionHours * 3_600_000,
            'min.insync.replicas': p.minInsyncReplicas,
            'compression.type': p.compressionType,
            ...p.config,
          },
        },
      },
      p.dependsOn,
    );
  }
}
