import type { TopicKey } from '../../workers/shared/topics.js';
import type { EventWindow } from '../lib/event-window.js';

/** The environments this repository deploys. */
export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** Where Terraform keeps the state of each stack. */
export type BackendConfig =
  | {
      readonly type: 'local';
      /** Folder for `<stack>.tfstate` files, relative to the stack's synth dir. */ readonly dir: string;
    }
  | { readonly type: 's3'; readonly bucket: string; readonly region: string; readonly keyPrefix: string }
  | { readonly type: 'gcs'; readonly bucket: string; readonly prefix: string };

/** Namespaces of every layer. */
export interface NamespacesConfig {
  readonly operators: string;
  readonly monitoring: string;
  readonly kafka: string;
  readonly postgres: string;
  readonly temporal: string;
  readonly pipeline: string;
}

export interface KafkaPoolConfig {
  /** Number of nodes in the pool. */
  readonly replicas: number;
  /** Persistent volume size per node, a Kubernetes quantity (e.g. `100Gi`). */
  readonly storageSize: string;
  /** CPU request per node, a Kubernetes quantity. */
  readonly cpu: string;
  /** Memory request and limit per node, a Kubernetes quantity. */
  readonly memory: string;
}

export interface TopicConfig {
  /** Partition count. Never decreases: compared against stacks/config/deployed-partitions.json. */
  readonly partitions: number;
  /** `retention.ms` expressed in hours. */
  readonly retentionHours: number;
}

export interface KafkaConfig {
  readonly clusterName: string;
  readonly brokers: KafkaPoolConfig;
  readonly controllers: KafkaPoolConfig;
  /** Node label used for `broker.rack` (rack awareness). */
  readonly rackTopologyKey: string;
  /** Replication factor of every topic and internal topic. */
  readonly replicationFactor: number;
  /** `min.insync.replicas` of every topic. */
  readonly minInsyncReplicas: number;
  readonly topics: Readonly<Record<TopicKey, TopicConfig>>;
  /** Deploy Cruise Control and let it rebalance automatically when brokers are added or removed. */
  readonly cruiseControl: boolean;
  /**
   * Kafka version the brokers run (Strimzi `spec.kafka.version`): a bump rolls the brokers onto it.
   * Pinned per environment so that a Strimzi bump never changes it unseen.
   */
  readonly version: string;
  /**
   * KRaft metadata version (Strimzi `spec.kafka.metadataVersion`), raised only after every broker
   * runs a Kafka that knows it: the second step of an upgrade (docs/upgrades.md).
   */
  readonly metadataVersion: string;
}

/**
 * Base backups and WAL in an object store through CloudNativePG's Barman Cloud plugin: the platform
 * layer creates the ObjectStore of this name, the Cluster archives its WAL there, and a
 * ScheduledBackup takes a base backup on `schedule`.
 */
export interface BarmanCloudBackupConfig {
  readonly method: 'barmanCloudPlugin';
  readonly objectStoreName: string;
  /** `s3://bucket/path`, `gs://bucket/path` or `https://<account>.blob.core.windows.net/<container>/path`. */
  readonly destinationPath: string;
  /** An S3-compatible endpoint other than AWS's (MinIO, Ceph). */
  readonly endpointUrl?: string;
  /**
   * Secret in the Postgres namespace with keys ACCESS_KEY_ID and ACCESS_SECRET_KEY; without it the
   * pods' cloud identity (IAM role for the service account) is used.
   */
  readonly credentialsSecret?: string;
  /** How long backups and WAL are kept: `<n>d`, `<n>w` or `<n>m`. */
  readonly retentionPolicy: string;
  /** Six-field cron (seconds first) of the base backups. */
  readonly schedule: string;
}

export type PostgresBackupConfig =
  | { readonly method: 'none' }
  | { readonly method: 'volumeSnapshot'; readonly snapshotClassName: string; readonly schedule: string }
  | BarmanCloudBackupConfig;

/**
 * Bootstraps the cluster from a backup instead of an empty database (docs/upgrades.md, restore):
 * the base backup and WAL that `serverName` wrote to the ObjectStore `objectStoreName`, replayed to
 * the end of the archive or to `targetTime`.
 */
export interface PostgresRestoreConfig {
  readonly objectStoreName: string;
  /** The cluster name the backups were written under (the old cluster's). */
  readonly serverName: string;
  /** Point in time to recover to, RFC 3339 with a zone (`2026-12-01T10:00:00Z`); default: the end of the WAL. */
  readonly targetTime?: string;
}

export interface PostgresConfig {
  readonly clusterName: string;
  /**
   * Postgres image, with its tag (CNPG `spec.imageName`). Pinned per environment: an operator bump
   * never rolls the databases unseen, and a change here is a minor upgrade (docs/upgrades.md).
   */
  readonly imageName: string;
  /** Postgres instances (1 primary + n-1 replicas). */
  readonly instances: number;
  /**
   * Standbys that confirm each commit before it returns (CNPG `postgresql.synchronous`, quorum,
   * durability required, failover quorum on): a committed batch survives the primary's loss
   * (docs/reliability.md, "Failover"). 0: asynchronous, allowed in dev only.
   */
  readonly synchronousStandbys: number;
  /** Data volume per instance, a Kubernetes quantity. */
  readonly storageSize: string;
  /** WAL volume per instance, a Kubernetes quantity. */
  readonly walStorageSize: string;
  /** Postgres `max_connections`. */
  readonly maxConnections: number;
  readonly cpu: string;
  readonly memory: string;
  /** Application database (owner has the same name). */
  readonly appDatabase: string;
  readonly pooler: {
    /** PgBouncer pods. */
    readonly instances: number;
    /** PgBouncer `default_pool_size`: server connections per (database, user) pair and pod. */
    readonly defaultPoolSize: number;
    /** PgBouncer `max_client_conn` per pod. */
    readonly maxClientConn: number;
    /** PgBouncer image, with its tag (pinned like `postgres.imageName`). */
    readonly imageName: string;
  };
  readonly backup: PostgresBackupConfig;
  /** Set only to create the cluster from a backup; remove it once the restored cluster runs. */
  readonly restore?: PostgresRestoreConfig;
}

/** The Temporal server's services, each its own Deployment. */
export const TEMPORAL_SERVICES = ['frontend', 'history', 'matching', 'worker'] as const;
export type TemporalService = (typeof TEMPORAL_SERVICES)[number];

export interface TemporalConfig {
  /**
   * Server version, such as "1.31.2": one of stacks/lib/temporal-releases.ts, which names its chart.
   * Upgrades go one minor version at a time from the deployed one (stacks/config/deployed-temporal.json).
   */
  readonly version: string;
  /** History shards; fixed for the life of a cluster (guarded by stacks/config/deployed-shards.json). */
  readonly numHistoryShards: number;
  readonly replicas: {
    readonly frontend: number;
    readonly history: number;
    readonly matching: number;
    readonly worker: number;
  };
  /**
   * Requests per pod of each service, Kubernetes quantities; memory is also the limit. CPU is not
   * limited: CFS throttling stalls RPCs and shard ownership renewals.
   */
  readonly resources: Readonly<Record<TemporalService, { readonly cpu: string; readonly memory: string }>>;
  /** Temporal Web UI replicas; 0 disables the UI. */
  readonly webReplicas: number;
  /**
   * Whether the Web UI may signal, cancel, terminate and reset workflows. Off: the UI server refuses
   * every write (queries still work): the UI is for looking, the tools (`npm run alerts`) for acting.
   */
  readonly webWriteActions: boolean;
  /** OIDC login in front of the Web UI; unset: no login of its own (reach it by port-forward, RBAC). */
  readonly webAuth?: TemporalWebAuthConfig;
  /** Retention of closed workflows in the `sensor-pipeline` namespace, in days. */
  readonly retentionDays: number;
  /** SQL `maxConns` per Temporal pod and datastore. */
  readonly maxConns: number;
  /** SQL `maxIdleConns` per Temporal pod and datastore. */
  readonly maxIdleConns: number;
}

/** The Web UI's OIDC client (the UI server's `auth.providers`). */
export interface TemporalWebAuthConfig {
  /** The identity provider's issuer URL (its `/.well-known/openid-configuration` is read). */
  readonly issuerUrl: string;
  readonly clientId: string;
  /** Secret in the Temporal namespace holding the client secret. */
  readonly clientSecret: { readonly name: string; readonly key: string };
  /** Where the provider sends the browser back: `https://<ui host>/auth/sso/callback`. */
  readonly callbackUrl: string;
}

export interface ScaledServiceConfig {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly cpu: string;
  readonly memory: string;
}

export interface PipelineConfig {
  /** Container image of the workers (built from the repository Dockerfile). */
  readonly image: { readonly repository: string; readonly tag: string };
  /**
   * Readings older than `maxEventAgeHours` are refused; the processed_events ledger keeps a row
   * `ledgerRetentionHours` (its duplicate window), which must cover the age limit (decision 0007).
   */
  readonly eventWindow: EventWindow;
  /**
   * The longest outage of the bridge or the workers this environment plans to ride out (the capacity
   * model's `retention.longestOutageHours`): `kafka.topics.sensorData.retentionHours` must cover it,
   * or the event window if that is shorter, or retention deletes records the bridge has not consumed.
   */
  readonly longestOutageHours: number;
  readonly bridge: ScaledServiceConfig & {
    /** KEDA kafka scaler `lagThreshold`: messages of lag per replica. */
    readonly lagThreshold: number;
  };
  readonly worker: ScaledServiceConfig & {
    /** KEDA temporal scaler `targetQueueSize`: backlog per replica. */
    readonly targetQueueSize: number;
    /** Temporal Worker Deployment name (worker versioning). */
    readonly deploymentName: string;
    /** Build ID of this rollout; defaults to the image tag. */
    readonly buildId: string;
    /** Postgres connections per worker pod (DATABASE_POOL_SIZE), through PgBouncer. */
    readonly databasePoolSize: number;
  };
}

/**
 * Where Alertmanager sends a notification. The URL or key lives in a Secret of the monitoring
 * namespace, created outside the stacks (a secret store or by hand); the stacks reference it by name,
 * Alertmanager reads it from the mounted file, and it never enters the Terraform state.
 */
export interface AlertReceiver {
  /** webhook: a generic HTTP endpoint (ChatOps bridges, an incident tool); slack; pagerduty (Events API v2). */
  readonly kind: 'webhook' | 'slack' | 'pagerduty';
  /** The Secret (monitoring namespace) and its key: the webhook URL, Slack webhook URL or PagerDuty routing key. */
  readonly secret: { readonly name: string; readonly key: string };
  /** slack: the channel, e.g. `#sensor-oncall`. */
  readonly channel?: string;
}

/** Alertmanager's routing: who hears about the platform's alerts and the devices' escalations. */
export interface AlertingConfig {
  /** Receivers by name (Alertmanager receiver names). */
  readonly receivers: Readonly<Record<string, AlertReceiver>>;
  /** The receivers of the platform's rules (stacks/observability/rules.ts), by severity. */
  readonly platform: { readonly critical: string; readonly warning: string };
  /**
   * The receiver of each device-alert tier: 0 when raised (the on-call engineer), then one per
   * escalation (team lead, manager). Past the last, the last keeps it.
   */
  readonly deviceAlertTiers: readonly string[];
  /** How long a new group waits for more alerts before its first notification: a storm pages once. */
  readonly groupWait: string;
  /** Between notifications of a group that changed. */
  readonly groupInterval: string;
  /** Before a group that still fires is notified again. */
  readonly repeatInterval: string;
}

export interface ObservabilityConfig {
  /** Prometheus retention, e.g. `15d`. */
  readonly prometheusRetention: string;
  readonly alerting: AlertingConfig;
  /** Consumer lag (messages) above which `SensorBridgeConsumerLagHigh` fires. */
  readonly consumerLagAlert: number;
  /** DLQ messages per second above which `SensorDeadLetterRateHigh` fires. */
  readonly dlqRateAlert: number;
  /** p95 workflow schedule-to-start latency in seconds above which an alert fires. */
  readonly scheduleToStartAlertSeconds: number;
}

/** The operators layer (stacks/operators.ts). */
export interface OperatorsConfig {
  /**
   * Import the operators' CRDs from the cluster instead of creating them: once, on the first deploy
   * of a cluster whose CRDs the charts installed (docs/upgrades.md#operators), e.g.
   * PLATFORM_OVERRIDES='{"prod":{"operators":{"adoptExistingCrds":true}}}'.
   */
  readonly adoptExistingCrds: boolean;
  /**
   * ClusterIssuers of the cluster's own (not the platform's) whose requests cert-manager's approver
   * still approves: the operators layer limits it to namespaced Issuers and the platform's
   * self-signed root, leaving the platform CA to approver-policy (docs/decisions/0115). A shared
   * cluster with, say, a `letsencrypt` ClusterIssuer lists it here.
   */
  readonly autoApprovedClusterIssuers: readonly string[];
}

/** A validated environment: everything the stacks need, nothing read later. */
export interface EnvironmentConfig {
  readonly name: EnvironmentName;
  readonly kubernetes: {
    readonly configPath: string;
    readonly context?: string;
    /**
     * Where the cluster's API server is, as pods and webhooks see it: egress to it and the webhooks'
     * ingress from it are limited to these CIDRs. Unset: any address, on the API and webhook ports
     * only (managed control planes whose address is not fixed need that).
     */
    readonly apiServerCidrs?: readonly string[];
  };
  readonly backend: BackendConfig;
  readonly namespaces: NamespacesConfig;
  readonly operators: OperatorsConfig;
  readonly kafka: KafkaConfig;
  readonly postgres: PostgresConfig;
  readonly temporal: TemporalConfig;
  readonly pipeline: PipelineConfig;
  readonly observability: ObservabilityConfig;
}

/** What was deployed last, committed so that synth can refuse irreversible changes. */
export interface DeployedRecord {
  readonly partitions: Readonly<Partial<Record<EnvironmentName, Partial<Record<TopicKey, number>>>>>;
  readonly shards: Readonly<Partial<Record<EnvironmentName, number>>>;
  /** The Kafka and metadata versions the cluster runs (stacks/config/deployed-kafka.json). */
  readonly kafka?: Readonly<Partial<Record<EnvironmentName, { version: string; metadataVersion: string }>>>;
  /** The Temporal server version each cluster runs (stacks/config/deployed-temporal.json). */
  readonly temporal?: Readonly<Partial<Record<EnvironmentName, string>>>;
}
