import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1/index.js';
import { Construct } from 'constructs';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';
import type { KafkaCredentials } from '../lib/connections.js';
import { kedaScaledObject } from './keda-scaled-object.js';
import { pipelineChartRelease, type PipelineServiceProps } from './pipeline-chart-release.js';
import { MANAGED_LABELS, kubeManifest } from '../lib/kube-manifest.js';

/** The release's name: also its Temporal client certificate's common name (decision 0114). */
export const INGEST_BRIDGE_RELEASE = 'ingest-bridge';

const DEFAULTS = {
  releaseName: INGEST_BRIDGE_RELEASE,
  minReplicas: 1,
  maxReplicas: 6,
  lagThreshold: 10_000,
  cpu: '500m',
  memory: '512Mi',
  pollingIntervalSeconds: 15,
  cooldownSeconds: 300,
};

export interface IngestBridgeProps extends PipelineServiceProps {
  /** A KafkaUser allowed to Describe the topic and group, used by KEDA to read lag. */
  readonly lagReader: KafkaCredentials;
  /** Partitions of the consumed topic: the ceiling for `maxReplicas`. */
  readonly partitions: number;
  /** Must be <= `partitions`. @default 6 */
  readonly maxReplicas?: number;
  /**
   * Lag (messages) per replica that KEDA aims for.
   * @default 10000
   * @see https://keda.sh/docs/2.20/scalers/apache-kafka/
   */
  readonly lagThreshold?: number;
}

/**
 * The ingest bridge chart plus its KEDA ScaledObject on the consumer group's lag.
 *
 * @example
 * new IngestBridge(this, 'bridge', { namespace: 'sensor-pipeline', chartPath, image, kafka, credentials,
 *   lagReader, temporal, taskQueue: TASK_QUEUE, partitions: 48, maxReplicas: 48 });
 */
export class IngestBridge extends Construct {
  public readonly release: Release;
  public readonly deploymentName: string;

  constructor(scope: Construct, id: string, props: IngestBridgeProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (p.maxReplicas > p.partitions) {
      throw new Error(
        `'maxReplicas' (${p.maxReplicas}) must be <= 'partitions' of topic '${TOPICS.sensorData}' (${p.partitions}): consumers beyond the partition count idle`,
      );
    }
    if (p.minReplicas > p.maxReplicas) {
      throw new Error(`'minReplicas' (${p.minReplicas}) must be <= 'maxReplicas' (${p.maxReplicas})`);
    }
    for (const [field, creds] of [
      ['credentials', p.credentials],
      ['lagReader', p.lagReader],
    ] as const) {
      if (creds.namespace !== p.namespace) {
        throw new Error(
          `'${field}.namespace' (${JSON.stringify(creds.namespace)}) must equal 'namespace' (${JSON.stringify(p.namespace)}): pods and KEDA read the Secret from their own namespace`,
        );
      }
    }
    this.deploymentName = p.releaseName;
    const dependsOn = [...(p.dependsOn ?? [])];
    const { release, clientCert } = pipelineChartRelease(this, 'bridge', p, {});
    this.release = release;

    // KEDA reads the username from this Secret and the password from the User Operator's Secret.
    const usernameSecret = new SecretV1(this, 'keda-username', {
      metadata: {
        name: `${p.lagReader.username}-keda`,
        namespace: p.namespace,
        labels: { ...MANAGED_LABELS },
      },
      data: { username: p.lagReader.username },
      dependsOn,
    });
    const auth = kubeManifest(
      this,
      'trigger-auth',
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: { name: `${p.releaseName}-kafka`, namespace: p.namespace },
        spec: {
          secretTargetRef: [
            { parameter: 'username', name: `${p.lagReader.username}-keda`, key: 'username' },
            { parameter: 'password', name: p.lagReader.secretName, key: p.lagReader.passwordKey },
            // The brokers' listener certificate is verified with the platform CA.
            { parameter: 'ca', name: clientCert.secret.secretName, key: 'ca.crt' },
          ],
        },
      },
      [...dependsOn, usernameSecret, clientCert.resource],
    );
    kedaScaledObject(
      this,
      {
        name: p.releaseName,
        namespace: p.namespace,
        deploymentName: this.deploymentName,
        minReplicas: p.minReplicas,
        maxReplicas: p.maxReplicas,
        pollingIntervalSeconds: p.pollingIntervalSeconds,
        cooldownSeconds: p.cooldownSeconds,
        trigger: {
          type: 'kafka',
          metadata: {
            bootstrapServers: p.kafka.bootstrapServers,
            consumerGroup: BRIDGE_CONSUMER_GROUP,
            topic: TOPICS.sensorData,
            lagThreshold: String(p.lagThreshold),
            offsetResetPolicy: 'earliest',
            allowIdleConsumers: 'false',
            sasl: 'scram_sha512',
            tls: p.kafka.tls ? 'enable' : 'disable',
          },
          authenticationRef: { name: `${p.releaseName}-kafka` },
        },
      },
      [this.release, auth],
    );
  }
}
