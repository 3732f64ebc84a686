import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { TASK_QUEUE } from '../workers/shared/temporal.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../workers/shared/topics.js';
import type { EnvironmentConfig } from './config/types.js';
import { IngestBridge } from './constructs/ingest-bridge.js';
import { KafkaUser } from './constructs/kafka-user.js';
import { SensorWorker } from './constructs/sensor-worker.js';
import { PG_ROLES } from './platform.js';
import type {
  CertificateIssuer,
  KafkaConnection,
  PostgresConnection,
  TemporalConnection,
} from './lib/connections.js';
import { setupStack } from './stack-setup.js';

export interface PipelineStackProps {
  readonly config: EnvironmentConfig;
  readonly kafka: KafkaConnection;
  readonly postgres: PostgresConnection;
  readonly temporal: TemporalConnection;
  /** The platform CA's issuer, for the bridge's and worker's client certificates. */
  readonly issuer: CertificateIssuer;
  /** Chart folders as Terraform sees them from this stack's synth folder. */
  readonly chartPaths: { readonly bridge: string; readonly worker: string };
  /** Alertmanager's API (the operators layer's), where the workers post device-alert transitions. */
  readonly alertmanagerUrl: string;
}

/** Kafka user names, one per client. */
export const KAFKA_USERS = {
  bridge: 'sensor-bridge',
  worker: 'sensor-worker',
  lagReader: 'keda-lag-reader',
} as const;

/** Layer 3: KafkaUsers, our two charts and their KEDA ScaledObjects. */
export class PipelineStack extends TerraformStack {
  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id);
    const { config, kafka } = props;
    setupStack(this, config, id, true);
    const topic = (name: string, ops: ('Read' | 'Write' | 'Describe')[]) => ({
      resource: { type: 'topic' as const, name },
      operations: ops,
    });

    const bridgeUser = new KafkaUser(this, 'user-bridge', {
      kafka,
      userName: KAFKA_USERS.bridge,
      acls: [
        // Offsets and record sizes only: the worker parses and dead-letters (claim check, 0008).
        topic(TOPICS.sensorData, ['Read', 'Describe']),
        // npm run redrive runs as the bridge: it consumes the parking topic in its own group. The
        // bridge writes a note there for records retention deleted before it consumed them.
        topic(TOPICS.parking, ['Read', 'Write', 'Describe']),
        { resource: { type: 'group', name: BRIDGE_CONSUMER_GROUP }, operations: ['Read'] },
        { resource: { type: 'group', name: `${BRIDGE_CONSUMER_GROUP}-redrive` }, operations: ['Read'] },
      ],
    });
    const workerUser = new KafkaUser(this, 'user-worker', {
      kafka,
      userName: KAFKA_USERS.worker,
      acls: [
        // Reads each batch's range by offset (no consumer group): claim check, decision 0008.
        topic(TOPICS.sensorData, ['Read', 'Describe']),
        topic(TOPICS.processed, ['Write', 'Describe']),
        topic(TOPICS.alerts, ['Write', 'Describe']),
        topic(TOPICS.deadLetter, ['Write', 'Describe']),
        // Written when a batch is parked; read when a re-drive's batches run.
        topic(TOPICS.parking, ['Read', 'Write', 'Describe']),
      ],
    });
    const lagReader = new KafkaUser(this, 'user-lag-reader', {
      kafka,
      userName: KAFKA_USERS.lagReader,
      acls: [
        topic(TOPICS.sensorData, ['Describe']),
        { resource: { type: 'group', name: BRIDGE_CONSUMER_GROUP }, operations: ['Describe'] },
      ],
    });

    const image = config.pipeline.image;
    const b = config.pipeline.bridge;
    new IngestBridge(this, 'bridge', {
      namespace: config.namespaces.pipeline,
      chartPath: props.chartPaths.bridge,
      image,
      kafka,
      credentials: bridgeUser.credentials,
      lagReader: lagReader.credentials,
      temporal: props.temporal,
      issuer: props.issuer,
      taskQueue: TASK_QUEUE,
      monitoringNamespace: config.namespaces.monitoring,
      // The platform layer creates the topic with this count, from the same configuration.
      partitions: config.kafka.topics.sensorData.partitions,
      minReplicas: b.minReplicas,
      maxReplicas: b.maxReplicas,
      lagThreshold: b.lagThreshold,
      eventWindow: config.pipeline.eventWindow,
      cpu: b.cpu,
      memory: b.memory,
    });

    const w = config.pipeline.worker;
    // The worker runs as its own role (DML only); the owner's credentials go to the migrations.
    const credentialsOf = (role: string) => {
      const found = props.postgres.credentials[role];
      if (!found)
        throw new Error(
          `role ${JSON.stringify(role)} has no credentials in the platform layer (roles: ${Object.keys(props.postgres.credentials).join(', ')})`,
        );
      return found;
    };
    const database = credentialsOf(PG_ROLES.worker);
    const migrations = credentialsOf(config.postgres.appDatabase);
    new SensorWorker(this, 'worker', {
      namespace: config.namespaces.pipeline,
      chartPath: props.chartPaths.worker,
      image,
      kafka,
      credentials: workerUser.credentials,
      database,
      migrations,
      postgresNamespace: props.postgres.namespace,
      temporal: props.temporal,
      issuer: props.issuer,
      taskQueue: TASK_QUEUE,
      monitoringNamespace: config.namespaces.monitoring,
      versioning: { deploymentName: w.deploymentName, buildId: w.buildId },
      minReplicas: w.minReplicas,
      maxReplicas: w.maxReplicas,
      targetQueueSize: w.targetQueueSize,
      databasePoolSize: w.databasePoolSize,
      alertmanagerUrl: props.alertmanagerUrl,
      eventWindow: config.pipeline.eventWindow,
      cpu: w.cpu,
      memory: w.memory,
    });
  }
}
