import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import type { EnvironmentConfig } from './types.js';

/** Staging: prod's topology (3 zones, HA everywhere) at a tenth of its throughput. */
export const staging: EnvironmentConfig = {
  name: 'staging',
  kubernetes: { configPath: '~/.kube/config', context: 'staging' },
  backend: { type: 's3', bucket: 'sensor-pipeline-tfstate', region: 'eu-west-1', keyPrefix: 'staging' },
  namespaces: NAMESPACES,
  kafka: {
    clusterName: 'sensor-kafka',
    brokers: { replicas: 3, storageSize: '200Gi', cpu: '1', memory: '4Gi' },
    controllers: { replicas: 3, storageSize: '10Gi', cpu: '250m', memory: '1Gi' },
    rackTopologyKey: 'topology.kubernetes.io/zone',
    replicationFactor: 3,
    minInsyncReplicas: 2,
    topics: {
      sensorData: { partitions: 12, retentionHours: 24 },
      processed: { partitions: 12, retentionHours: 24 },
      alerts: { partitions: 6, retentionHours: 168 },
      deadLetter: { partitions: 3, retentionHours: 168 },
      parking: { partitions: 3, retentionHours: 168 },
    },
    cruiseControl: true,
  },
  postgres: {
    clusterName: 'sensor-pg',
    instances: 3,
    storageSize: '100Gi',
    walStorageSize: '20Gi',
    maxConnections: 300,
    cpu: '2',
    memory: '8Gi',
    appDatabase: 'sensor',
    pooler: { instances: 2, defaultPoolSize: 30, maxClientConn: 500 },
    backup: { method: 'volumeSnapshot', snapshotClassName: 'csi-snapclass', schedule: '0 0 3 * * *' },
  },
  temporal: {
    numHistoryShards: 512,
    replicas: { frontend: 2, history: 3, matching: 2, worker: 1 },
    webReplicas: 1,
    retentionDays: 3,
    maxConns: 20,
    maxIdleConns: 20,
  },
  pipeline: {
    image: { repository: WORKERS_IMAGE, tag: 'staging' },
    bridge: { minReplicas: 2, maxReplicas: 6, cpu: '500m', memory: '512Mi', lagThreshold: 20_000 },
    worker: {
      minReplicas: 2,
      maxReplicas: 8,
      cpu: '1',
      memory: '1Gi',
      targetQueueSize: 20,
      deploymentName: 'sensor-worker',
      buildId: 'staging',
      databasePoolSize: 10,
    },
  },
  observability: {
    prometheusRetention: '7d',
    consumerLagAlert: 500_000,
    dlqRateAlert: 5,
    scheduleToStartAlertSeconds: 2,
  },
};
