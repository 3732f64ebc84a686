import type { EnvironmentSizing, EnvironmentSpec } from './environment.js';

/**
 * What staging decides: prod's topology (3 zones, HA everywhere) at a tenth of its rate, and one day of
 * ledger (its data is disposable). The capacity model derives the rest (`npm run size -- --env staging
 * --events-per-minute 1000000`).
 */
export const stagingSizing: EnvironmentSizing = {
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
  maxEventAgeHours: 24,
  retention: { kafkaHours: 24, longestOutageHours: 72, temporalDays: 3, ledgerDays: 2, auditDays: 30 },
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
};

/** Staging: prod's topology (3 zones, HA everywhere) at a tenth of its throughput. */
export const staging: EnvironmentSpec = {
  sizing: stagingSizing,
  choices: {
    name: 'staging',
    kubernetes: { configPath: '~/.kube/config', context: 'staging' },
    backend: { type: 's3', bucket: 'sensor-pipeline-tfstate', region: 'eu-west-1', keyPrefix: 'staging' },
    kafka: {
      brokers: { memory: '4Gi' },
      controllers: { replicas: 3, storageSize: '10Gi', cpu: '250m', memory: '1Gi' },
      rackTopologyKey: 'topology.kubernetes.io/zone',
      minInsyncReplicas: 2,
      cruiseControl: true,
      // Upgrade in two steps: version first, metadataVersion after (docs/upgrades.md).
      version: '4.3.1',
      metadataVersion: '4.3-IV0',
    },
    postgres: {
      // Pinned, so that an operator bump never restarts the databases unseen (docs/upgrades.md).
      imageName: 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie',
      pooler: { imageName: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' },
      // A committed batch survives the primary's loss: one standby confirms each commit.
      synchronousStandbys: 1,
      backup: { method: 'volumeSnapshot', snapshotClassName: 'csi-snapclass', schedule: '0 0 3 * * *' },
    },
    temporal: { version: '1.31.2', webReplicas: 1 },
    pipeline: {
      release: 'staging',
      bridge: { lagThreshold: 20_000 },
      worker: { targetQueueSize: 20 },
    },
    observability: {
      // Prod's tiers, each a Slack channel: a rollout's escalations are seen without paging anyone.
      alerting: {
        receivers: {
          'staging-alerts': {
            kind: 'slack',
            secret: { name: 'alertmanager-receivers', key: 'slack-webhook-url' },
            channel: '#sensor-staging-alerts',
          },
          'staging-escalations': {
            kind: 'slack',
            secret: { name: 'alertmanager-receivers', key: 'slack-webhook-url' },
            channel: '#sensor-staging-escalations',
          },
        },
        platform: { critical: 'staging-alerts', warning: 'staging-alerts' },
        deviceAlertTiers: ['staging-alerts', 'staging-escalations'],
        groupWait: '30s',
        groupInterval: '5m',
        repeatInterval: '12h',
      },
      prometheusRetention: '7d',
      consumerLagAlert: 500_000,
      dlqRateAlert: 5,
      scheduleToStartAlertSeconds: 2,
    },
  },
};
