import { readCalibration } from '../capacity/calibration.js';
import { sizeEnvironment, temporalResources, type SizingInputs } from '../capacity/model.js';
import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import { deployedFloor, readDeployedRecord } from './deployed.js';
import type { EnvironmentConfig } from './types.js';

/**
 * What staging decides: prod's topology (3 zones, HA everywhere) at a tenth of its rate, and one day of
 * ledger (its data is disposable). The capacity model derives the rest (`npm run size -- --env staging
 * --events-per-minute 1000000`).
 */
export const stagingSizing: SizingInputs = {
  environment: 'staging',
  eventsPerMinute: 1_000_000,
  headroom: 2,
  pods: { bridgeCpu: '500m', workerCpu: '1', brokerCpu: '2', brokerMaxStorage: '1000Gi', temporalCpu: '2' },
  topology: {
    replicationFactor: 3,
    minBrokers: 3,
    postgresInstances: 3,
    minPoolerInstances: 2,
    minReplicas: 2,
  },
  retention: { kafkaHours: 24, temporalDays: 3, ledgerDays: 2 },
  connections: {
    temporalMaxConns: 20,
    workerDatabasePoolSize: 10,
    poolerDefaultPoolSize: 30,
    poolerMaxClientConn: 500,
  },
  otherTopics: {
    alerts: { partitions: 6, retentionHours: 168 },
    deadLetter: { partitions: 3, retentionHours: 168 },
    parking: { partitions: 3, retentionHours: 168 },
  },
  deployed: deployedFloor(readDeployedRecord(), 'staging'),
};

const sized = sizeEnvironment(stagingSizing, readCalibration().measured);
const { pods, topology, retention, connections, otherTopics } = stagingSizing;

/** Staging: prod's topology (3 zones, HA everywhere) at a tenth of its throughput. */
export const staging: EnvironmentConfig = {
  name: 'staging',
  kubernetes: { configPath: '~/.kube/config', context: 'staging' },
  backend: { type: 's3', bucket: 'sensor-pipeline-tfstate', region: 'eu-west-1', keyPrefix: 'staging' },
  namespaces: NAMESPACES,
  kafka: {
    clusterName: 'sensor-kafka',
    brokers: {
      replicas: sized.kafka.brokers.value,
      storageSize: sized.kafka.storageSize.value,
      cpu: pods.brokerCpu,
      memory: '4Gi',
    },
    controllers: { replicas: 3, storageSize: '10Gi', cpu: '250m', memory: '1Gi' },
    rackTopologyKey: 'topology.kubernetes.io/zone',
    replicationFactor: topology.replicationFactor,
    minInsyncReplicas: 2,
    topics: {
      sensorData: { partitions: sized.partitions.value, retentionHours: retention.kafkaHours },
      processed: { partitions: sized.partitions.value, retentionHours: retention.kafkaHours },
      ...otherTopics,
    },
    cruiseControl: true,
    // Upgrade in two steps: version first, metadataVersion after (docs/upgrades.md).
    version: '4.3.1',
    metadataVersion: '4.3-IV0',
  },
  postgres: {
    clusterName: 'sensor-pg',
    instances: sized.postgres.instances.value,
    storageSize: sized.postgres.storageSize.value,
    walStorageSize: sized.postgres.walStorageSize.value,
    maxConnections: sized.postgres.maxConnections.value,
    cpu: sized.postgres.cpu.value,
    memory: sized.postgres.memory.value,
    appDatabase: 'sensor',
    pooler: {
      instances: sized.postgres.poolerInstances.value,
      defaultPoolSize: connections.poolerDefaultPoolSize,
      maxClientConn: connections.poolerMaxClientConn,
    },
    backup: { method: 'volumeSnapshot', snapshotClassName: 'csi-snapclass', schedule: '0 0 3 * * *' },
  },
  temporal: {
    numHistoryShards: sized.temporal.numHistoryShards.value,
    replicas: {
      frontend: sized.temporal.frontend.value,
      history: sized.temporal.history.value,
      matching: sized.temporal.matching.value,
      worker: sized.temporal.worker.value,
    },
    resources: temporalResources(sized),
    webReplicas: 1,
    retentionDays: retention.temporalDays,
    maxConns: connections.temporalMaxConns,
    maxIdleConns: connections.temporalMaxConns,
  },
  pipeline: {
    eventWindow: { maxEventAgeHours: 24, ledgerRetentionHours: retention.ledgerDays * 24 },
    image: { repository: WORKERS_IMAGE, tag: 'staging' },
    bridge: {
      minReplicas: sized.bridge.minReplicas.value,
      maxReplicas: sized.bridge.maxReplicas.value,
      cpu: pods.bridgeCpu,
      memory: sized.bridge.memory.value,
      lagThreshold: 20_000,
    },
    worker: {
      minReplicas: sized.worker.minReplicas.value,
      maxReplicas: sized.worker.maxReplicas.value,
      cpu: pods.workerCpu,
      memory: sized.worker.memory.value,
      targetQueueSize: 20,
      deploymentName: 'sensor-worker',
      buildId: 'staging',
      databasePoolSize: connections.workerDatabasePoolSize,
    },
  },
  observability: {
    prometheusRetention: '7d',
    consumerLagAlert: 500_000,
    dlqRateAlert: 5,
    scheduleToStartAlertSeconds: 2,
  },
};
