import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import type { EnvironmentConfig } from './types.js';

/** Dev: one small node per role, just enough to run the whole pipeline end to end. */
export const dev: EnvironmentConfig = {
  name: 'dev',
  kubernetes: { configPath: '~/.kube/config', context: 'dev' },
  // Under .terraform/, which git ignores; outside cdktf.out/, which synth may replace.
  backend: { type: 'local', dir: '.terraform/state' },
  namespaces: NAMESPACES,
  kafka: {
    clusterName: 'sensor-kafka',
    brokers: { replicas: 1, storageSize: '20Gi', cpu: '500m', memory: '2Gi' },
    controllers: { replicas: 1, storageSize: '5Gi', cpu: '250m', memory: '1Gi' },
    // Single-zone dev clusters (kind, k3d) lack zone labels; every node has a hostname.
    rackTopologyKey: 'kubernetes.io/hostname',
    replicationFactor: 1,
    minInsyncReplicas: 1,
    topics: {
      sensorData: { partitions: 6, retentionHours: 24 },
      processed: { partitions: 6, retentionHours: 24 },
      alerts: { partitions: 3, retentionHours: 168 },
      deadLetter: { partitions: 1, retentionHours: 168 },
      parking: { partitions: 1, retentionHours: 168 },
    },
    cruiseControl: false,
  },
  postgres: {
    clusterName: 'sensor-pg',
    instances: 1,
    storageSize: '10Gi',
    walStorageSize: '2Gi',
    maxConnections: 200,
    cpu: '500m',
    memory: '1Gi',
    appDatabase: 'sensor',
    pooler: { instances: 1, defaultPoolSize: 20, maxClientConn: 400 },
    backup: { method: 'none' },
  },
  temporal: {
    numHistoryShards: 4,
    replicas: { frontend: 1, history: 1, matching: 1, worker: 1 },
    webReplicas: 1,
    retentionDays: 1,
    maxConns: 10,
    maxIdleConns: 10,
  },
  pipeline: {
    image: { repository: WORKERS_IMAGE, tag: 'dev' },
    bridge: { minReplicas: 1, maxReplicas: 3, cpu: '250m', memory: '256Mi', lagThreshold: 5000 },
    worker: {
      minReplicas: 1,
      maxReplicas: 3,
      cpu: '250m',
      memory: '512Mi',
      targetQueueSize: 10,
      deploymentName: 'sensor-worker',
      buildId: 'dev',
      databasePoolSize: 5,
    },
  },
  observability: {
    prometheusRetention: '2d',
    consumerLagAlert: 100_000,
    dlqRateAlert: 1,
    scheduleToStartAlertSeconds: 5,
  },
};
