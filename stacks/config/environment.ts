/**
 * The one skeleton every environment shares: an environment file (dev.ts, staging.ts, prod.ts) states
 * its sizing inputs and its own choices as plain data (an EnvironmentSpec), and buildEnvironment makes
 * the EnvironmentConfig from them, with what is deployed and the calibration passed in: nothing here
 * reads a file or runs at import (load.ts does both, once). Counts and sizes come from the capacity
 * model (stacks/capacity/model.ts); names every environment shares come from common.ts. Nothing here
 * differs between environments, so a reviewer reads an environment's values in its own file.
 */
import type { CalibrationMeasurement } from '../capacity/calibration.js';
import { sizeEnvironment, temporalResources, type SizingInputs } from '../capacity/model.js';
import { NAMESPACES, WORKERS_IMAGE } from './common.js';
import { deployedFloor } from './deployed.js';
import type {
  DeployedRecord,
  BackendConfig,
  EnvironmentConfig,
  EnvironmentName,
  KafkaPoolConfig,
  ObservabilityConfig,
  OperatorsConfig,
  PostgresConfig,
  TemporalWebAuthConfig,
} from './types.js';

/** An environment's inputs to the capacity model; what is deployed is added when it is loaded. */
export type EnvironmentSizing = Omit<SizingInputs, 'deployed'>;

/** What an environment file exports: plain data, sized and checked by load.ts. */
export interface EnvironmentSpec {
  readonly sizing: EnvironmentSizing;
  readonly choices: EnvironmentChoices;
}

/** The capacity model's inputs of an environment: its own, with the floor of what is deployed. */
export function sizingInputs(spec: EnvironmentSpec, deployed: DeployedRecord): SizingInputs {
  return { ...spec.sizing, deployed: deployedFloor(deployed, spec.choices.name) };
}

/** What an environment chooses beyond its sizing inputs. */
export interface EnvironmentChoices {
  readonly name: EnvironmentName;
  readonly kubernetes: EnvironmentConfig['kubernetes'];
  readonly backend: BackendConfig;
  /** @default { adoptExistingCrds: false, autoApprovedClusterIssuers: [] } */
  readonly operators?: Partial<OperatorsConfig>;
  readonly kafka: {
    /** Memory request and limit per broker (counts, storage and CPU come from the sizing). */
    readonly brokers: { readonly memory: string };
    readonly controllers: KafkaPoolConfig;
    /** Node label for `broker.rack`. */
    readonly rackTopologyKey: string;
    readonly minInsyncReplicas: number;
    readonly cruiseControl: boolean;
    /** Upgrade in two steps: version first, metadataVersion after (docs/upgrades.md). */
    readonly version: string;
    readonly metadataVersion: string;
  };
  readonly postgres: {
    /** Postgres and PgBouncer images, each with its tag: pinned (docs/upgrades.md). */
    readonly imageName: string;
    readonly pooler: { readonly imageName: string };
    /** Standbys each commit waits for (CNPG synchronous replication); 0: asynchronous. */
    readonly synchronousStandbys: number;
    readonly backup: PostgresConfig['backup'];
    readonly restore?: PostgresConfig['restore'];
  };
  readonly temporal: {
    readonly version: string;
    readonly webReplicas: number;
    /** @default false: the Web UI is read-only */
    readonly webWriteActions?: boolean;
    readonly webAuth?: TemporalWebAuthConfig;
  };
  readonly pipeline: {
    /** Tag of the workers image, and the worker deployment's build ID. */
    readonly release: string;
    /** KEDA kafka lag per bridge replica. */
    readonly bridge: { readonly lagThreshold: number };
    /** KEDA Temporal task-queue backlog per worker replica. */
    readonly worker: { readonly targetQueueSize: number };
  };
  readonly observability: ObservabilityConfig;
}

/** Sizes an environment and fills in its configuration. @throws SizingError */
export function buildEnvironment(
  spec: EnvironmentSpec,
  deployed: DeployedRecord,
  calibration: CalibrationMeasurement,
): EnvironmentConfig {
  const sizing = sizingInputs(spec, deployed);
  const { choices } = spec;
  const sized = sizeEnvironment(sizing, calibration);
  const { pods, topology, retention, connections, otherTopics } = sizing;
  const { kafka, pipeline } = choices;
  return {
    name: choices.name,
    kubernetes: choices.kubernetes,
    backend: choices.backend,
    namespaces: NAMESPACES,
    operators: {
      adoptExistingCrds: choices.operators?.adoptExistingCrds ?? false,
      autoApprovedClusterIssuers: choices.operators?.autoApprovedClusterIssuers ?? [],
    },
    kafka: {
      clusterName: 'sensor-kafka',
      brokers: {
        replicas: sized.kafka.brokers.value,
        storageSize: sized.kafka.storageSize.value,
        cpu: pods.brokerCpu,
        memory: kafka.brokers.memory,
      },
      controllers: kafka.controllers,
      rackTopologyKey: kafka.rackTopologyKey,
      replicationFactor: topology.replicationFactor,
      minInsyncReplicas: kafka.minInsyncReplicas,
      topics: {
        sensorData: {
          partitions: sized.partitions.value,
          retentionHours: sized.kafka.sensorDataRetentionHours.value,
        },
        processed: { partitions: sized.partitions.value, retentionHours: retention.kafkaHours },
        ...otherTopics,
      },
      cruiseControl: kafka.cruiseControl,
      version: kafka.version,
      metadataVersion: kafka.metadataVersion,
    },
    postgres: {
      clusterName: 'sensor-pg',
      imageName: choices.postgres.imageName,
      instances: sized.postgres.instances.value,
      synchronousStandbys: choices.postgres.synchronousStandbys,
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
        imageName: choices.postgres.pooler.imageName,
      },
      backup: choices.postgres.backup,
      ...(choices.postgres.restore ? { restore: choices.postgres.restore } : {}),
    },
    temporal: {
      version: choices.temporal.version,
      numHistoryShards: sized.temporal.numHistoryShards.value,
      replicas: {
        frontend: sized.temporal.frontend.value,
        history: sized.temporal.history.value,
        matching: sized.temporal.matching.value,
        worker: sized.temporal.worker.value,
      },
      resources: temporalResources(sized),
      webReplicas: choices.temporal.webReplicas,
      webWriteActions: choices.temporal.webWriteActions ?? false,
      ...(choices.temporal.webAuth ? { webAuth: choices.temporal.webAuth } : {}),
      retentionDays: retention.temporalDays,
      maxConns: connections.temporalMaxConns,
      maxIdleConns: connections.temporalMaxConns,
    },
    pipeline: {
      eventWindow: {
        maxEventAgeHours: sizing.maxEventAgeHours,
        ledgerRetentionHours: retention.ledgerDays * 24,
        auditRetentionHours: retention.auditDays * 24,
      },
      longestOutageHours: retention.longestOutageHours,
      image: { repository: WORKERS_IMAGE, tag: pipeline.release },
      bridge: {
        minReplicas: sized.bridge.minReplicas.value,
        maxReplicas: sized.bridge.maxReplicas.value,
        cpu: pods.bridgeCpu,
        memory: sized.bridge.memory.value,
        lagThreshold: pipeline.bridge.lagThreshold,
      },
      worker: {
        minReplicas: sized.worker.minReplicas.value,
        maxReplicas: sized.worker.maxReplicas.value,
        cpu: pods.workerCpu,
        memory: sized.worker.memory.value,
        targetQueueSize: pipeline.worker.targetQueueSize,
        deploymentName: 'sensor-worker',
        buildId: pipeline.release,
        databasePoolSize: connections.workerDatabasePoolSize,
      },
    },
    observability: choices.observability,
  };
}
