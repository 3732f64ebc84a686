import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { TEMPORAL_NAMESPACE } from '../workers/shared/temporal.js';
import { TOPICS, type TopicKey } from '../workers/shared/topics.js';
import type { EnvironmentConfig } from './config/types.js';
import { CnpgPostgres } from './constructs/cnpg-postgres.js';
import { KafkaTopic } from './constructs/kafka-topic.js';
import { PlatformCa } from './constructs/platform-ca.js';
import { StrimziKafka } from './constructs/strimzi-kafka.js';
import { INGEST_BRIDGE_RELEASE } from './constructs/ingest-bridge.js';
import { SENSOR_WORKER_RELEASE } from './constructs/sensor-worker.js';
import { TemporalServer } from './constructs/temporal-server.js';
import type { CertificateApproval } from './lib/certificate-approval.js';
import type {
  CertificateIssuer,
  KafkaConnection,
  PostgresConnection,
  TemporalConnection,
} from './lib/connections.js';
import { temporalChart } from './lib/temporal-releases.js';
import { temporalServerImage } from './lib/temporal-server-image.js';
import { setupStack } from './stack-setup.js';

export interface PlatformStackProps {
  readonly config: EnvironmentConfig;
  /** cert-manager's cluster resource namespace, from the operators layer. */
  readonly certManagerNamespace: string;
  /** approver-policy decides the platform CA's requests, from the operators layer. */
  readonly certificateApproval: CertificateApproval;
}

/** Role names in Postgres. */
/**
 * Postgres roles besides the application database's owner (named after it, it runs the migrations):
 * Temporal's, and the worker's own, which connects to the application database with the DML the
 * owner's migrations grant and no DDL (docs/decisions/0113-migration-role.md).
 */
export const PG_ROLES = { temporal: 'temporal', worker: 'sensor_worker' } as const;

/**
 * Layer 2: the platform CA, Kafka (+ topics), Postgres, Temporal, all TLS with certificates from that
 * CA. Needs the operators layer's CRDs.
 */
export class PlatformStack extends TerraformStack {
  public readonly kafka: KafkaConnection;
  public readonly postgres: PostgresConnection;
  public readonly temporal: TemporalConnection;
  /** Signs the pipeline's client certificates. */
  public readonly issuer: CertificateIssuer;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id);
    const { config } = props;
    const ns = config.namespaces;
    setupStack(this, config, id, true);
    const ca = new PlatformCa(this, 'ca', {
      namespace: props.certManagerNamespace,
      approval: props.certificateApproval,
    });
    this.issuer = ca.issuer;

    const kafka = new StrimziKafka(this, 'kafka', {
      clusterName: config.kafka.clusterName,
      namespace: ns.kafka,
      userNamespace: ns.pipeline,
      clientNamespaces: [ns.pipeline, ns.operators],
      brokers: config.kafka.brokers,
      controllers: config.kafka.controllers,
      rackTopologyKey: config.kafka.rackTopologyKey,
      replicationFactor: config.kafka.replicationFactor,
      minInsyncReplicas: config.kafka.minInsyncReplicas,
      cruiseControl: config.kafka.cruiseControl,
      kafkaVersion: config.kafka.version,
      metadataVersion: config.kafka.metadataVersion,
      listenerCertificateIssuer: ca.issuer,
      dependsOn: ca.ready,
    });
    this.kafka = kafka.connection;
    for (const key of Object.keys(TOPICS) as TopicKey[]) {
      const topic = config.kafka.topics[key];
      new KafkaTopic(this, `topic-${key}`, {
        kafka: kafka.connection,
        topicName: TOPICS[key],
        partitions: topic.partitions,
        retentionHours: topic.retentionHours,
        replicas: config.kafka.replicationFactor,
        minInsyncReplicas: config.kafka.minInsyncReplicas,
        dependsOn: [kafka.resource],
      });
    }

    const pg = new CnpgPostgres(this, 'postgres', {
      clusterName: config.postgres.clusterName,
      namespace: ns.postgres,
      tlsIssuer: ca.issuer,
      roles: [
        {
          name: config.postgres.appDatabase,
          databases: [config.postgres.appDatabase],
          consumerNamespace: ns.pipeline,
        },
        {
          name: PG_ROLES.temporal,
          databases: ['temporal', 'temporal_visibility'],
          consumerNamespace: ns.temporal,
        },
        {
          name: PG_ROLES.worker,
          databases: [],
          connects: [config.postgres.appDatabase],
          consumerNamespace: ns.pipeline,
        },
      ],
      imageName: config.postgres.imageName,
      instances: config.postgres.instances,
      synchronousStandbys: config.postgres.synchronousStandbys,
      storageSize: config.postgres.storageSize,
      walStorageSize: config.postgres.walStorageSize,
      maxConnections: config.postgres.maxConnections,
      cpu: config.postgres.cpu,
      memory: config.postgres.memory,
      pooler: config.postgres.pooler,
      backup: config.postgres.backup,
      restore: config.postgres.restore,
      dependsOn: ca.ready,
    });
    this.postgres = pg.connection;

    const temporal = new TemporalServer(this, 'temporal', {
      namespace: ns.temporal,
      tlsIssuer: ca.issuer,
      database: pg.connection,
      databaseRole: PG_ROLES.temporal,
      temporalNamespace: TEMPORAL_NAMESPACE,
      version: temporalChart(config.temporal.version),
      serverImage: temporalServerImage(config.temporal.version),
      clientIdentities: { bridge: INGEST_BRIDGE_RELEASE, worker: SENSOR_WORKER_RELEASE },
      numHistoryShards: config.temporal.numHistoryShards,
      replicas: config.temporal.replicas,
      resources: config.temporal.resources,
      webReplicas: config.temporal.webReplicas,
      webWriteActions: config.temporal.webWriteActions,
      ...(config.temporal.webAuth ? { webAuth: config.temporal.webAuth } : {}),
      retentionDays: config.temporal.retentionDays,
      maxConns: config.temporal.maxConns,
      maxIdleConns: config.temporal.maxIdleConns,
      dependsOn: pg.ready,
    });
    this.temporal = temporal.connection;
  }
}
