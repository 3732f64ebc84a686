import type { EnvironmentSizing, EnvironmentSpec } from './environment.js';

/**
 * What dev decides: one small pod per role at the rate of the local demo (`npm run local` at
 * 1,000 events/s). The capacity model derives the rest (`npm run size -- --env dev
 * --events-per-minute 60000`).
 */
export const devSizing: EnvironmentSizing = {
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
  maxEventAgeHours: 24,
  retention: { kafkaHours: 24, longestOutageHours: 24, temporalDays: 1, ledgerDays: 2, auditDays: 7 },
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
};

/** Dev: one small node per role, just enough to run the whole pipeline end to end. */
export const dev: EnvironmentSpec = {
  sizing: devSizing,
  choices: {
    name: 'dev',
    kubernetes: { configPath: '~/.kube/config', context: 'dev' },
    // Under .terraform/, which git ignores; outside cdktf.out/, which synth may replace.
    backend: { type: 'local', dir: '.terraform/state' },
    kafka: {
      brokers: { memory: '2Gi' },
      controllers: { replicas: 1, storageSize: '5Gi', cpu: '250m', memory: '1Gi' },
      // Single-zone dev clusters (kind, k3d) lack zone labels; every node has a hostname.
      rackTopologyKey: 'kubernetes.io/hostname',
      minInsyncReplicas: 1,
      cruiseControl: false,
      // Upgrade in two steps: version first, metadataVersion after (docs/upgrades.md).
      version: '4.3.1',
      metadataVersion: '4.3-IV0',
    },
    postgres: {
      // Pinned, so that an operator bump never restarts the databases unseen (docs/upgrades.md).
      imageName: 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie',
      pooler: { imageName: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' },
      // One instance: nothing to wait for, and nothing to fail over to.
      synchronousStandbys: 0,
      backup: { method: 'none' },
    },
    temporal: { version: '1.31.2', webReplicas: 1 },
    pipeline: {
      release: 'dev',
      bridge: { lagThreshold: 5000 },
      worker: { targetQueueSize: 10 },
    },
    observability: {
      prometheusRetention: '2d',
      consumerLagAlert: 100_000,
      dlqRateAlert: 1,
      scheduleToStartAlertSeconds: 5,
      // One chat channel hears everything; the Secret holds its webhook URL (docs/operations.md#receivers).
      alerting: {
        receivers: {
          'dev-chat': { kind: 'webhook', secret: { name: 'alertmanager-receivers', key: 'dev-chat-url' } },
        },
        platform: { critical: 'dev-chat', warning: 'dev-chat' },
        deviceAlertTiers: ['dev-chat'],
        groupWait: '30s',
        groupInterval: '5m',
        repeatInterval: '12h',
      },
    },
  },
};
