import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import type { EnvironmentConfig } from './types.js';

/**
 * Prod: sized for 10,000,000 events/min (~167k events/s). The arithmetic behind every number is in
 * docs/sre-guide.md ("Sizing prod"); change them together with that section.
 */
export const prod: EnvironmentConfig = {
  name: 'prod',
  kubernetes: { configPath: '~/.kube/config', context: 'prod' },
  backend: { type: 's3', bucket: 'sensor-pipeline-tfstate', region: 'eu-west-1', keyPrefix: 'prod' },
  namespaces: NAMESPACES,
  kafka: {
    clusterName: 'sensor-kafka',
    brokers: { replicas: 6, storageSize: '2000Gi', cpu: '4', memory: '16Gi' },
    controllers: { replicas: 3, storageSize: '20Gi', cpu: '500m', memory: '2Gi' },
    rackTopologyKey: 'topology.kubernetes.io/zone',
    replicationFactor: 3,
    minInsyncReplicas: 2,
    topics: {
      sensorData: { partitions: 48, retentionHours: 24 },
      processed: { partitions: 48, retentionHours: 24 },
      alerts: { partitions: 12, retentionHours: 168 },
      deadLetter: { partitions: 6, retentionHours: 168 },
      parking: { partitions: 6, retentionHours: 168 },
    },
    cruiseControl: true,
  },
  postgres: {
    clusterName: 'sensor-pg',
    instances: 3,
    storageSize: '1000Gi',
    walStorageSize: '200Gi',
    maxConnections: 500,
    cpu: '8',
    memory: '32Gi',
    appDatabase: 'sensor',
    pooler: { instances: 3, defaultPoolSize: 40, maxClientConn: 1000 },
    backup: { method: 'barmanCloudPlugin', objectStoreName: 'sensor-pg-backups', schedule: '0 0 2 * * *' },
  },
  temporal: {
    numHistoryShards: 4096,
    replicas: { frontend: 3, history: 8, matching: 4, worker: 2 },
    webReplicas: 2,
    retentionDays: 7,
    maxConns: 20,
    maxIdleConns: 20,
  },
  pipeline: {
    image: { repository: WORKERS_IMAGE, tag: '0.1.0' },
    bridge: { minReplicas: 12, maxReplicas: 48, cpu: '1', memory: '1Gi', lagThreshold: 200_000 },
    worker: {
      minReplicas: 16,
      maxReplicas: 64,
      cpu: '2',
      memory: '2Gi',
      targetQueueSize: 50,
      deploymentName: 'sensor-worker',
      buildId: '0.1.0',
      databasePoolSize: 10,
    },
  },
  observability: {
    prometheusRetention: '15d',
    consumerLagAlert: 5_000_000,
    dlqRateAlert: 50,
    scheduleToStartAlertSeconds: 1,
  },
};
