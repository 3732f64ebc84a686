import { readCalibration } from '../capacity/calibration.js';
import { sizeEnvironment, temporalResources, type SizingInputs } from '../capacity/model.js';
import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import { deployedFloor, readDeployedRecord } from './deployed.js';
import type { EnvironmentConfig } from './types.js';

/**
 * What prod decides: the rate it is built for, its pod shapes and topology. Every count and size that
 * follows from them comes from the capacity model (`npm run size -- --events-per-minute 10000000`
 * prints the same figures with their arithmetic; docs/capacity.md).
 */
export const prodSizing: SizingInputs = {
  environment: 'prod',
  eventsPerMinute: 10_000_000,
  headroom: 2,
  pods: { bridgeCpu: '1', workerCpu: '2', brokerCpu: '4', brokerMaxStorage: '4000Gi', temporalCpu: '4' },
  topology: {
    replicationFactor: 3,
    minBrokers: 3,
    postgresInstances: 3,
    minPoolerInstances: 3,
    minReplicas: 2,
  },
  retention: { kafkaHours: 24, temporalDays: 7, ledgerDays: 8 },
  connections: {
    temporalMaxConns: 20,
    workerDatabasePoolSize: 10,
    poolerDefaultPoolSize: 40,
    poolerMaxClientConn: 1000,
  },
  otherTopics: {
    alerts: { partitions: 12, retentionHours: 168 },
    deadLetter: { partitions: 6, retentionHours: 168 },
    parking: { partitions: 6, retentionHours: 168 },
  },
  deployed: deployedFloor(readDeployedRecord(), 'prod'),
};

const sized = sizeEnvironment(prodSizing, readCalibration().measured);
const { pods, topology, retention, connections, otherTopics } = prodSizing;

/** Prod: sized for 10,000,000 events/min (~167k events/s) by stacks/capacity. */
export const prod: EnvironmentConfig = {
  name: 'prod',
  kubernetes: { configPath: '~/.kube/config', context: 'prod' },
  backend: { type: 's3', bucket: 'sensor-pipeline-tfstate', region: 'eu-west-1', keyPrefix: 'prod' },
  namespaces: NAMESPACES,
  kafka: {
    clusterName: 'sensor-kafka',
    brokers: {
      replicas: sized.kafka.brokers.value,
      storageSize: sized.kafka.storageSize.value,
      cpu: pods.brokerCpu,
      memory: '16Gi',
    },
    controllers: { replicas: 3, storageSize: '20Gi', cpu: '500m', memory: '2Gi' },
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
    backup: { method: 'barmanCloudPlugin', objectStoreName: 'sensor-pg-backups', schedule: '0 0 2 * * *' },
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
    webReplicas: 2,
    retentionDays: retention.temporalDays,
    maxConns: connections.temporalMaxConns,
    maxIdleConns: connections.temporalMaxConns,
  },
  pipeline: {
    eventWindow: { maxEventAgeHours: 168, ledgerRetentionHours: retention.ledgerDays * 24 },
    image: { repository: WORKERS_IMAGE, tag: '0.1.0' },
    bridge: {
      minReplicas: sized.bridge.minReplicas.value,
      maxReplicas: sized.bridge.maxReplicas.value,
      cpu: pods.bridgeCpu,
      memory: sized.bridge.memory.value,
      lagThreshold: 200_000,
    },
    worker: {
      minReplicas: sized.worker.minReplicas.value,
      maxReplicas: sized.worker.maxReplicas.value,
      cpu: pods.workerCpu,
      memory: sized.worker.memory.value,
      targetQueueSize: 50,
      deploymentName: 'sensor-worker',
      buildId: '0.1.0',
      databasePoolSize: connections.workerDatabasePoolSize,
    },
  },
  observability: {
    prometheusRetention: '15d',
    consumerLagAlert: 5_000_000,
    dlqRateAlert: 50,
    scheduleToStartAlertSeconds: 1,
  },
};
