import type { EnvironmentSizing, EnvironmentSpec } from './environment.js';

/**
 * What prod decides: the rate it is built for, its pod shapes and topology. Every count and size that
 * follows from them comes from the capacity model (`npm run size -- --events-per-minute 10000000`
 * prints the same figures with their arithmetic; docs/capacity.md).
 */
export const prodSizing: EnvironmentSizing = {
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
  maxEventAgeHours: 168,
  // Readings a week old are accepted, so a bridge outage must not cost them: sensor-data keeps records
  // for the outage planned for (a long weekend), which the model sizes into its retention (72 h).
  retention: { kafkaHours: 24, longestOutageHours: 72, temporalDays: 7, ledgerDays: 8, auditDays: 90 },
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
};

/** Prod: sized for 10,000,000 events/min (~167k events/s) by stacks/capacity. */
export const prod: EnvironmentSpec = {
  sizing: prodSizing,
  choices: {
    name: 'prod',
    kubernetes: { configPath: '~/.kube/config', context: 'prod' },
    backend: { type: 's3', bucket: 'sensor-pipeline-tfstate', region: 'eu-west-1', keyPrefix: 'prod' },
    kafka: {
      brokers: { memory: '16Gi' },
      controllers: { replicas: 3, storageSize: '20Gi', cpu: '500m', memory: '2Gi' },
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
      backup: {
        method: 'barmanCloudPlugin',
        objectStoreName: 'sensor-pg-backups',
        destinationPath: 's3://sensor-platform-prod-backups/postgres',
        // The pods' cloud identity (IAM role for the service account) writes the bucket: no key Secret.
        retentionPolicy: '30d',
        schedule: '0 0 2 * * *',
      },
    },
    temporal: { version: '1.31.2', webReplicas: 2 },
    pipeline: {
      release: '0.1.0',
      bridge: { lagThreshold: 200_000 },
      worker: { targetQueueSize: 50 },
    },
    observability: {
      // A raised device alert goes to the platform channel; unacknowledged, it pages the on-call engineer
      // (tier 1), then the team lead, then the manager (ALERT_ESCALATION's tiers). Critical platform
      // alerts page the on-call engineer, warnings go to the channel.
      alerting: {
        receivers: {
          'platform-chat': {
            kind: 'slack',
            secret: { name: 'alertmanager-receivers', key: 'slack-webhook-url' },
            channel: '#sensor-platform',
          },
          'oncall-pager': {
            kind: 'pagerduty',
            secret: { name: 'alertmanager-receivers', key: 'oncall-routing-key' },
          },
          'team-lead-pager': {
            kind: 'pagerduty',
            secret: { name: 'alertmanager-receivers', key: 'team-lead-routing-key' },
          },
          'manager-pager': {
            kind: 'pagerduty',
            secret: { name: 'alertmanager-receivers', key: 'manager-routing-key' },
          },
        },
        platform: { critical: 'oncall-pager', warning: 'platform-chat' },
        deviceAlertTiers: ['platform-chat', 'oncall-pager', 'team-lead-pager', 'manager-pager'],
        groupWait: '30s',
        groupInterval: '5m',
        repeatInterval: '4h',
      },
      prometheusRetention: '15d',
      consumerLagAlert: 5_000_000,
      dlqRateAlert: 50,
      scheduleToStartAlertSeconds: 1,
    },
  },
};
