/**
 * Settings of the local stack: ports and sizes, each overridable by an environment variable.
 * This module (with lib/paths.ts for the directories) is the only reader of the environment for
 * local/; everything else takes a StackConfig. Both read it through lib/stack-env.ts, where the
 * chaos run selects its own stack instance.
 */
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import '../workers/lib/kafkajs-producer-grouping.js';
import { logLevel, type KafkaConfig } from 'kafkajs';
import { hardenKafkajs } from '../workers/lib/kafka-client.js';
import { stackEnv } from './lib/stack-env.js';

export interface PortSetting {
  readonly port: number;
  /** The variable that moves this port, named in "port in use" errors. */
  readonly envVar: string;
}

export interface StackConfig {
  readonly postgres: {
    readonly port: PortSetting;
    readonly superPassword: string;
    /** Folder of initdb, pg_ctl and postgres (STACK_PG_BIN); the pinned npm package's when unset. */
    readonly binDir?: string;
    /** PgBouncer in transaction mode in front of it, as the cluster's CNPG Pooler (local/pgbouncer.ts). */
    readonly poolerPort: PortSetting;
  };
  readonly kafka: {
    readonly port: PortSetting;
    readonly controllerPort: PortSetting;
    readonly heapMb: number;
  };
  readonly temporal: {
    /** Frontend gRPC port; the other services take the ports right after it. */
    readonly port: PortSetting;
    readonly membershipBasePort: PortSetting;
    readonly metricsPort: PortSetting;
    readonly uiPort: PortSetting;
    readonly numHistoryShards: number;
    /**
     * Existing binaries to use instead of building them (TEMPORAL_SERVER_BIN, TEMPORAL_SQL_TOOL_BIN,
     * TEMPORAL_CLI_BIN); each unset one is built once into the cache.
     */
    readonly binaries: { readonly server?: string; readonly sqlTool?: string; readonly cli?: string };
  };
  /**
   * The Prometheus a pipeline run starts beside itself (local/prometheus.ts) and the Kafka lag
   * exporter it scrapes (local/kafka-lag-exporter.ts).
   */
  readonly observability: {
    readonly prometheusPort: PortSetting;
    readonly kafkaExporterPort: PortSetting;
    /** Alertmanager (local/alertmanager.ts) and the webhook its receivers post to (local/alert-webhook.ts). */
    readonly alertmanagerPort: PortSetting;
    readonly alertWebhookPort: PortSetting;
  };
  /** The IaC tests' control plane (local/kube/api.ts). */
  readonly kube: {
    readonly apiserverPort: PortSetting;
    readonly etcdPort: PortSetting;
    readonly etcdPeerPort: PortSetting;
  };
  /** Tools that build or run the servers. */
  readonly toolchain: {
    /** A Java runtime's home ($JAVA_HOME), tried first for the CRD generator (local/kube/java.ts). */
    readonly javaHome?: string;
    /** $GOFLAGS, kept when the Temporal binaries are built. */
    readonly goFlags?: string;
  };
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = 65535): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}=${JSON.stringify(raw)}: expected an integer between ${min} and ${max}`);
  }
  return value;
}

function port(env: NodeJS.ProcessEnv, envVar: string, fallback: number, max = 65535): PortSetting {
  return { port: intFromEnv(env, envVar, fallback, 1024, max), envVar };
}

export function loadStackConfig(env: NodeJS.ProcessEnv = stackEnv()): StackConfig {
  return {
    postgres: {
      port: port(env, 'STACK_POSTGRES_PORT', 15432),
      superPassword: 'postgres',
      poolerPort: port(env, 'STACK_PGBOUNCER_PORT', 16432),
      ...(env.STACK_PG_BIN ? { binDir: env.STACK_PG_BIN } : {}),
    },
    kafka: {
      port: port(env, 'STACK_KAFKA_PORT', 19092),
      controllerPort: port(env, 'STACK_KAFKA_CONTROLLER_PORT', 19093),
      heapMb: intFromEnv(env, 'STACK_KAFKA_HEAP_MB', 1024, 256, 65536),
    },
    temporal: {
      port: port(env, 'STACK_TEMPORAL_PORT', 17233),
      // Temporal records membership ports in a smallint column: the highest one (base + 6) must fit.
      membershipBasePort: port(env, 'STACK_TEMPORAL_MEMBERSHIP_PORT', 16933, 32767 - 6),
      metricsPort: port(env, 'STACK_TEMPORAL_METRICS_PORT', 18000),
      /** The Temporal Web UI (local/temporal-ui.ts). */
      uiPort: port(env, 'STACK_TEMPORAL_UI_PORT', 18233),
      numHistoryShards: intFromEnv(env, 'STACK_TEMPORAL_HISTORY_SHARDS', 4, 1, 16384),
      binaries: {
        ...(env.TEMPORAL_SERVER_BIN ? { server: env.TEMPORAL_SERVER_BIN } : {}),
        ...(env.TEMPORAL_SQL_TOOL_BIN ? { sqlTool: env.TEMPORAL_SQL_TOOL_BIN } : {}),
        ...(env.TEMPORAL_CLI_BIN ? { cli: env.TEMPORAL_CLI_BIN } : {}),
      },
    },
    observability: {
      prometheusPort: port(env, 'STACK_PROMETHEUS_PORT', 19090),
      kafkaExporterPort: port(env, 'STACK_KAFKA_EXPORTER_PORT', 19308),
      alertmanagerPort: port(env, 'STACK_ALERTMANAGER_PORT', 19193),
      alertWebhookPort: port(env, 'STACK_ALERT_WEBHOOK_PORT', 19195),
    },
    kube: {
      apiserverPort: port(env, 'SENSOR_STACK_KUBE_API_PORT', 16443),
      etcdPort: port(env, 'SENSOR_STACK_KUBE_ETCD_PORT', 12379),
      etcdPeerPort: port(env, 'SENSOR_STACK_KUBE_ETCD_PEER_PORT', 12380),
    },
    toolchain: {
      ...(env.JAVA_HOME ? { javaHome: env.JAVA_HOME } : {}),
      ...(env.GOFLAGS ? { goFlags: env.GOFLAGS } : {}),
    },
  };
}

/** Who talks to the local broker: each service has its own SCRAM user, tools and tests use admin. */
export type KafkaPrincipal = 'admin' | 'bridge' | 'worker' | 'lagReader';

export interface ScramUser {
  readonly username: string;
  readonly password: string;
}

/**
 * SCRAM-SHA-512 users of the local broker (bootstrapped when its storage is formatted). Local-only
 * credentials on loopback, like the Postgres role passwords; the cluster's come from Strimzi KafkaUsers.
 */
export const LOCAL_KAFKA_USERS: Readonly<Record<KafkaPrincipal, ScramUser>> = {
  admin: { username: 'admin', password: 'admin-local-secret' },
  bridge: { username: 'ingest-bridge', password: 'ingest-bridge-local-secret' },
  worker: { username: 'sensor-worker', password: 'sensor-worker-local-secret' },
  // KEDA's Kafka scaler reads the bridge's lag as this user: the name the stacks give it
  // (stacks/pipeline.ts KAFKA_USERS.lagReader), so their TriggerAuthentication works here as written.
  lagReader: { username: 'keda-lag-reader', password: 'keda-lag-reader-local-secret' },
};

export const LOCAL_KAFKA_SASL_MECHANISM = 'scram-sha-512' as const;

/** Connection settings that the pipeline processes and tests use to reach the local stack. */
export interface StackEndpoints {
  readonly kafkaBrokers: string[];
  readonly temporalAddress: string;
  /** The Temporal Web UI: every workflow's step and history. */
  readonly temporalUiUrl: string;
  /** The Temporal server's Prometheus endpoint. */
  readonly temporalMetricsUrl: string;
  readonly postgres: { host: string; port: number };
  /** PgBouncer in transaction mode: where the workers connect, as they reach the CNPG Pooler. */
  readonly postgresPooler: { host: string; port: number };
}

export function endpoints(config: StackConfig): StackEndpoints {
  return {
    kafkaBrokers: [`127.0.0.1:${config.kafka.port.port}`],
    temporalAddress: `127.0.0.1:${config.temporal.port.port}`,
    temporalUiUrl: `http://127.0.0.1:${config.temporal.uiPort.port}`,
    temporalMetricsUrl: `http://127.0.0.1:${config.temporal.metricsPort.port}/metrics`,
    postgres: { host: '127.0.0.1', port: config.postgres.port.port },
    postgresPooler: { host: '127.0.0.1', port: config.postgres.poolerPort.port },
  };
}

/** kafkajs settings for the local broker as one of its users (admin for tools and tests). */
export function kafkaClientConfig(
  ep: Pick<StackEndpoints, 'kafkaBrokers'>,
  clientId: string,
  principal: KafkaPrincipal = 'admin',
): KafkaConfig {
  // Every local client (bench, tools, tests) reads every codec, as the pipeline's own do.
  hardenKafkajs();
  return {
    clientId,
    brokers: ep.kafkaBrokers,
    sasl: { mechanism: LOCAL_KAFKA_SASL_MECHANISM, ...LOCAL_KAFKA_USERS[principal] },
    logLevel: logLevel.NOTHING,
  };
}

/** The variables that make a pipeline process (workers/config.ts) log in as `principal`. */
export function kafkaSaslEnv(principal: KafkaPrincipal): Record<string, string> {
  return {
    KAFKA_SASL_MECHANISM: LOCAL_KAFKA_SASL_MECHANISM,
    KAFKA_SASL_USERNAME: LOCAL_KAFKA_USERS[principal].username,
    KAFKA_SASL_PASSWORD: LOCAL_KAFKA_USERS[principal].password,
  };
}
