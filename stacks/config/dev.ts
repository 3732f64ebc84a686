import { readCalibration } from '../capacity/calibration.js';
import { sizeEnvironment, temporalResources, type SizingInputs } from '../capacity/model.js';
import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import { deployedFloor, readDeployedRecord } from './deployed.js';
import type { EnvironmentConfig } from './types.js';

/**
 * What dev decides: one small pod per role at the rate of the local demo (`npm run local` at
 * 1,000 events/s). The capacity model derives the rest (`npm run size -- --env dev
 * --events-per-minute 60000`).
 */
export const devSizing: SizingInputs = {
  environment: 'dev',
  eventsPerMinute: 60_000,
  headroom: 2,
  pods: {
    bridgeCpu: '250m',
    workerCpu: '250m',
    brokerCpu: '500m',
    brokerMaxStorage: '100Gi',
    temporalCpu: '500m',
  },
  topology: {
    replicationFactor: 1,
    minBrokers: 1,
    postgresInstances: 1,
    minPoolerInstances: 1,
    minReplicas: 1,
  },
  retention: { kafkaHours: 24, temporalDays: 1, ledgerDays: 2 },
  connections: {
    temporalMaxConns: 10,
    workerDatabasePoolSize: 5,
    poolerDefaultPoolSize: 20,
    poolerMaxClientConn: 400,
  },
  otherTopics: {
    alerts: { partitions: 3, retentionHours: 168 },
    deadLetter: { partitions: 1, retentionHours: 168 },
    parking: { partitions: 1, retentionHours: 168 },
  },
  deployed: deployedFloor(readDeployedRecord(), 'dev'),
};

const sized = sizeEnvironment(devSizing, readCalibration().measured);
const { pods, topology, retention, connections, otherTopics } = devSizing;

/** Dev: one small node per role, just enough to run the whole pipeline end to end. */
export const dev: EnvironmentConfig = {
  name: 'dev',
  kubernetes: { configPath: '~/.kube/config', context: 'dev' },
  // Under .terraform/, which git ignores; outside cdktf.out/, which synth may replace.
  backend: { type: 'local', dir: '.terraform/state' },
  namespaces: NAMESPACES,
  kafka: {
    clusterName: 'sensor-kafka',
    brokers: {
      replicas: sized.kafka.brokers.value,
      storageSize: sized.kafka.storageSize.value,
      cpu: pods.brokerCpu,
      memory: '2Gi',
    },
    controllers: { replicas: 1, storageSize: '5Gi', cpu: '250m', memory: '1Gi' },
    // Single-zone dev clusters (kind, k3d) lack zone labels; every node has a hostname.
    rackTopologyKey: 'kubernetes.io/hostname',
    replicationFactor: topology.replicationFactor,
    minInsyncReplicas: 1,
    topics: {
      sensorData: { partitions: sized.partitions.value, retentionHours: retention.kafkaHours },
      processed: { partitions: sized.partitions.value, retentionHours: retention.kafkaHours },
      ...otherTopics,
    },
    cruiseControl: false,
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
    backup: { method: 'none' },
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
    image: { repository: WORKERS_IMAGE, tag: 'dev' },
    bridge: {
      minReplicas: sized.bridge.minReplicas.value,
      maxReplicas: sized.bridge.maxReplicas.value,
      cpu: pods.bridgeCpu,
      memory: sized.bridge.memory.value,
      lagThreshold: 5000,
    },
    worker: {
      minReplicas: sized.worker.minReplicas.value,
      maxReplicas: sized.worker.maxReplicas.value,
      cpu: pods.workerCpu,
      memory: sized.worker.memory.value,
      targetQueueSize: 10,
      deploymentName: 'sensor-worker',
      buildId: 'dev',
      databasePoolSize: connections.workerDatabasePoolSize,
    },
  },
  observability: {
    prometheusRetention: '2d',
    consumerLagAlert: 100_000,
    dlqRateAlert: 1,
    scheduleToStartAlertSeconds: 5,
  },
};
