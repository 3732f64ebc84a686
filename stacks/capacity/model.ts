/**
 * The capacity model: from a planned event rate, an environment's pod shapes and topology, and the
 * measured per-core rates of the calibration, to every sized field of the environment. Pure (no I/O),
 * so the environment files, `npm run size` and the tests run the same arithmetic; every figure
 * carries the steps that produced it. docs/capacity.md explains the rules and their limits.
 *
 * Over 400 lines, and one file on purpose: the rules share the design rate, the per-core rates and
 * one another's results (partitions follow the bridge, connections follow the Temporal pods), and
 * docs/capacity.md's table of rules reads top to bottom against this file. Split it by layer only
 * with that table.
 */
import { formatCpu, formatGi, GIB, parseQuantity } from '../lib/quantity.js';
import type { EnvironmentName, TemporalService, TopicConfig } from '../config/types.js';
import type { CalibrationMeasurement, ProcessName } from './calibration.js';
import { ledgerPartitionDays, PARTITIONS_PER_WINDOW } from '../../workers/shared/ledger-partitions.js';

/** What an environment decides for itself; the model derives the rest from it. */
export interface SizingInputs {
  readonly environment: EnvironmentName;
  /** Planned sustained rate, events per minute. */
  readonly eventsPerMinute: number;
  /** Throughput-bound resources are sized for `eventsPerMinute x headroom` (catch-up after an outage, bursts). */
  readonly headroom: number;
  /** Pod shapes the model counts in (Kubernetes quantities), also written to the environment. */
  readonly pods: {
    readonly bridgeCpu: string;
    readonly workerCpu: string;
    readonly brokerCpu: string;
    /** Largest volume one broker may have; more data means more brokers. */
    readonly brokerMaxStorage: string;
    /** Cores one Temporal server pod may use (the nodes' budget per pod). */
    readonly temporalCpu: string;
  };
  readonly topology: {
    readonly replicationFactor: number;
    readonly minBrokers: number;
    /** Postgres instances: availability, not throughput (one primary takes every write). */
    readonly postgresInstances: number;
    readonly minPoolerInstances: number;
    /** Floor of every replica count: 2 where one pod's loss must not stop a service. */
    readonly minReplicas: number;
  };
  /**
   * The event window (MAX_EVENT_AGE_MS): readings older than this are refused, so sensor-data need not
   * keep a record longer; the ledger must outlast it (`retention.ledgerDays`, decision 0007).
   */
  readonly maxEventAgeHours: number;
  readonly retention: {
    /** Retention of sensor-data-processed, and the least that sensor-data keeps. */
    readonly kafkaHours: number;
    /**
     * The longest outage of the bridge or the workers the environment plans to ride out without
     * losing a record: sensor-data keeps records this long, or for the event window if that is
     * shorter. Past it, retention deletes records the bridge has not consumed (a retention gap).
     */
    readonly longestOutageHours: number;
    /** Temporal's retention of closed workflows. */
    readonly temporalDays: number;
    /**
     * Days of the processed_events ledger kept (LEDGER_RETENTION_MS): the duplicate window, more
     * than the event age limit. What exactly-once needs, kept per event in Postgres.
     */
    readonly ledgerDays: number;
    /**
     * Days the batch records are kept (AUDIT_RETENTION_MS): the audit window, at least `ledgerDays`.
     * One row per batch, not per event (decision 0117).
     */
    readonly auditDays: number;
  };
  readonly connections: {
    readonly temporalMaxConns: number;
    readonly workerDatabasePoolSize: number;
    readonly poolerDefaultPoolSize: number;
    readonly poolerMaxClientConn: number;
  };
  /** The low-volume topics, as configured: not sized, but their partitions hold segments on the brokers. */
  readonly otherTopics: Readonly<Record<'alerts' | 'deadLetter' | 'parking', TopicConfig>>;
  /** What is deployed (stacks/config/deployed-*.json): partitions never shrink, shards never change. */
  readonly deployed?: { readonly partitions?: number; readonly shards?: number };
}

/**
 * Assumptions that the co-located benchmark cannot measure; docs/capacity.md gives the reason for each.
 * Change them there and here together.
 */
export const ASSUMPTIONS = {
  /** History events per second one shard is budgeted for at the design rate. */
  shardHistoryEventsPerSecond: 20,
  /** Shards are fixed for life: a new cluster gets this factor on top of the design rate. */
  shardLifetimeGrowth: 4,
  minShards: 4,
  maxShards: 16_384,
  /** Split of Temporal's measured CPU between the load-bearing services (the worker service is fixed). */
  temporalShare: { history: 0.55, matching: 0.25, frontend: 0.2 },
  /** Share of a broker volume that retained data may fill: the rest absorbs bursts and reassignments. */
  kafkaDiskFill: 0.6,
  /**
   * Kafka's default `log.segment.bytes`. Retention never deletes a partition's active segment, so a
   * broker needs one full segment per partition replica it carries (validate.ts checks the same).
   */
  kafkaSegmentBytes: 2 ** 30,
  /**
   * processed_events row with its two indexes, bytes (from the schema in workers/db/migrations; the
   * batch index that made it 350 went in migration 003).
   */
  ledgerBytesPerEvent: 280,
  /**
   * batches row with its three indexes, bytes: a row per batch workflow, with its source range, run,
   * counts and the offsets it published (decision 0117). 732 B measured on 492 batches of an
   * `npm run bench -- --rate 8000 --duration 60` run (2026-12-08); a small table's pages are the
   * least full, so this rounds up.
   */
  batchRecordBytes: 750,
  /** Temporal persistence per sensor event: ~9 KB of history per 200-event batch, rounded up. */
  temporalBytesPerEvent: 50,
  /** Memory margin over the measured resident memory of a process scaled to its pod's load. */
  podMemoryMargin: 1.5,
  /**
   * Temporal's internal worker service runs system workflows only (namespace deletion, archival,
   * scanners): its pod shape does not follow the event rate.
   */
  temporalWorkerServicePod: { cpu: '500m', memory: '1Gi' },
  /**
   * Floor of a Temporal server pod's memory. The local server owns 4 history shards and its memory
   * stayed flat with the load; a cluster's history pods own hundreds, each with its own caches.
   */
  temporalMinPodMemoryMi: 4096,
  /** WAL written per byte of data (full-page writes after checkpoints). */
  walAmplification: 2,
  /** Seconds of WAL the volume must hold if archiving stalls. */
  walBufferSeconds: 3600,
  minWalGi: 2,
  postgresDiskFill: 0.7,
  postgresMemoryGiPerCore: 4,
  /** CPU steps for the Postgres primary: machine sizes, not arbitrary counts. */
  postgresCpuSteps: [0.5, 1, 2, 4, 8, 16, 32, 48, 64, 96, 128],
  /** Beyond these a single primary no longer fits common nodes and volumes: the model warns. */
  postgresMaxCores: 128,
  postgresMaxVolumeGi: 16_384,
  pgReservedConnections: 20,
  pooledDatabases: 3,
  temporalDatastores: 2,
} as const;

/** A figure and the arithmetic that produced it, one line per step. */
export interface Sized<T> {
  readonly value: T;
  readonly steps: readonly string[];
}

export interface ScaledSizing {
  readonly minReplicas: Sized<number>;
  readonly maxReplicas: Sized<number>;
  /** Memory request and limit per pod. */
  readonly memory: Sized<string>;
}

export interface Sizing {
  readonly inputs: SizingInputs;
  readonly designEventsPerMinute: number;
  /** Events per minute one core of each process handles, from the calibration. */
  readonly perCore: Readonly<Record<ProcessName, number>>;
  /** Partitions of sensor-data and sensor-data-processed. */
  readonly partitions: Sized<number>;
  readonly bridge: ScaledSizing;
  readonly worker: ScaledSizing;
  readonly temporal: {
    readonly numHistoryShards: Sized<number>;
    readonly frontend: Sized<number>;
    readonly history: Sized<number>;
    readonly matching: Sized<number>;
    readonly worker: Sized<number>;
    /** Memory request and limit of a frontend, history or matching pod of `pods.temporalCpu`. */
    readonly podMemory: Sized<string>;
  };
  readonly postgres: {
    readonly instances: Sized<number>;
    readonly cpu: Sized<string>;
    readonly memory: Sized<string>;
    readonly storageSize: Sized<string>;
    readonly walStorageSize: Sized<string>;
    readonly poolerInstances: Sized<number>;
    readonly maxConnections: Sized<number>;
  };
  readonly kafka: {
    readonly brokers: Sized<number>;
    readonly storageSize: Sized<string>;
    /** Retention of sensor-data, hours: the planned outage within the event window. */
    readonly sensorDataRetentionHours: Sized<number>;
  };
  /** Conditions the numbers cannot fix on their own (a shard migration, a primary beyond one node). */
  readonly warnings: readonly string[];
}

/** Thrown for inputs the model cannot size, naming the input. */
export class SizingError extends Error {
  override name = 'SizingError';
}

const n = (v: number, digits = 0): string =>
  v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });

function cores(quantity: string, what: string): number {
  const v = parseQuantity(quantity);
  if (v === undefined || v <= 0)
    throw new SizingError(`'${what}' (${JSON.stringify(quantity)}) must be a CPU quantity > 0`);
  return v;
}

function nextPowerOfTwo(v: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, v)));
}

/** Smallest 3·2^k >= v: doubling keeps every earlier count a divisor, so keys split, never scatter. */
function partitionStep(v: number): number {
  let p = 3;
  while (p < v) p *= 2;
  return p;
}

/** Replicas for a load: at least the floor, enough pods of `podCores` for `load` cores. */
function pods(load: number, podCores: number, floor: number): number {
  return Math.max(floor, Math.ceil(load / podCores - 1e-9));
}

/**
 * Resident memory of a process as a line in its cores, through the calibration's two points: a fixed
 * part and a part per core, neither below zero (memory that fell with more load is all fixed).
 */
export function memoryLine(
  measured: CalibrationMeasurement,
  proc: ProcessName,
): { fixedMiB: number; miBPerCore: number } {
  const [c1, m1] = [measured.cpuCoresAtHalf[proc], measured.rssMiBAtHalf[proc]];
  const [c2, m2] = [measured.cpuCoresAtMax[proc], measured.rssMiBAtMax[proc]];
  const slope = c2 > c1 ? Math.max(0, (m2 - m1) / (c2 - c1)) : 0;
  const fixed = Math.max(0, Math.min(m2, m2 - slope * c2));
  return { fixedMiB: fixed, miBPerCore: slope };
}

/** What every rule reads: the inputs, the calibration, the design rate and per-core rates. */
interface RuleContext {
  readonly inputs: SizingInputs;
  readonly measured: CalibrationMeasurement;
  /** The planned rate times the headroom, events per minute. */
  readonly design: number;
  readonly perCore: Readonly<Record<ProcessName, number>>;
  /** Conditions the numbers cannot fix (each rule adds its own). */
  readonly warnings: string[];
}

function rateLine(ctx: RuleContext, proc: ProcessName): string {
  const { measured, perCore } = ctx;
  return `${proc} per core = ${n(measured.eventsPerMinute)} events/min / ${measured.cpuCoresAtMax[proc]} cores = ${n(perCore[proc])} events/min`;
}

function designLine(ctx: RuleContext): string {
  return `design rate = ${n(ctx.inputs.eventsPerMinute)} x headroom ${ctx.inputs.headroom} = ${n(ctx.design)} events/min`;
}

/** The rate and the headroom are usable numbers. @throws SizingError */
function checkRates(inputs: SizingInputs): void {
  const { eventsPerMinute: rate, headroom } = inputs;
  if (!(Number.isFinite(rate) && rate > 0)) {
    throw new SizingError(`'eventsPerMinute' (${rate}) must be a number > 0`);
  }
  if (!(Number.isFinite(headroom) && headroom >= 1)) {
    throw new SizingError(`'headroom' (${headroom}) must be a number >= 1: it multiplies the planned rate`);
  }
}

/**
 * Memory per pod. Resident memory is a fixed part (runtime, code, caches) and a part that grows with
 * the work in flight. The two phases of the calibration (the max and half of it) are two points on
 * that line: a pod's memory is the line at the pod's cores, never below what was measured at the max.
 */
function podMemory(ctx: RuleContext, proc: ProcessName, podCpu: string, floorMi = 0): Sized<string> {
  const { measured } = ctx;
  const A = ASSUMPTIONS;
  const line = memoryLine(measured, proc);
  const podCores = cores(podCpu, `pods.${proc}Cpu`);
  const atPod = Math.max(measured.rssMiBAtMax[proc], line.fixedMiB + line.miBPerCore * podCores);
  const memoryMi = Math.max(floorMi, Math.ceil((atPod * A.podMemoryMargin) / 256) * 256);
  const memory = memoryMi % 1024 === 0 ? `${memoryMi / 1024}Gi` : `${memoryMi}Mi`;
  return {
    value: memory,
    steps: [
      `measured ${measured.rssMiBAtHalf[proc]} MiB at ${measured.cpuCoresAtHalf[proc]} cores and ${measured.rssMiBAtMax[proc]} MiB at ${measured.cpuCoresAtMax[proc]} cores: ${n(line.fixedMiB)} MiB + ${n(line.miBPerCore)} MiB per core`,
      `a pod of ${podCpu}: ${n(atPod)} MiB (at least the measured ${measured.rssMiBAtMax[proc]}) x margin ${A.podMemoryMargin}, rounded up to 256Mi${floorMi > 0 ? `, at least ${floorMi}Mi` : ''} = ${memory}`,
    ],
  };
}

/**
 * Bridge and worker: CPU-bound, linear in the rate. min carries the planned rate without scaling up;
 * max carries the design rate.
 */
function scaledReplicas(ctx: RuleContext, proc: 'bridge' | 'worker', podCpu: string): ScaledSizing {
  const { inputs, design, perCore } = ctx;
  const rate = inputs.eventsPerMinute;
  const floor = inputs.topology.minReplicas;
  const per = cores(podCpu, `pods.${proc}Cpu`);
  const atRate = rate / perCore[proc];
  const atDesign = design / perCore[proc];
  const min = pods(atRate, per, floor);
  const max = Math.max(min, pods(atDesign, per, floor));
  return {
    memory: podMemory(ctx, proc, podCpu),
    minReplicas: {
      value: min,
      steps: [
        rateLine(ctx, proc),
        `cores at the planned rate = ${n(rate)} / ${n(perCore[proc])} = ${n(atRate, 2)}`,
        `min replicas = max(${floor}, ceil(${n(atRate, 2)} / ${podCpu} per pod)) = ${min}`,
      ],
    },
    maxReplicas: {
      value: max,
      steps: [
        designLine(ctx),
        `cores at the design rate = ${n(design)} / ${n(perCore[proc])} = ${n(atDesign, 2)}`,
        `max replicas = max(min ${min}, ceil(${n(atDesign, 2)} / ${podCpu} per pod)) = ${max}`,
      ],
    },
  };
}

/** Partitions: every bridge replica needs one; never below what is deployed. */
function partitionCount(ctx: RuleContext, bridgeMax: number): Sized<number> {
  const deployed = ctx.inputs.deployed?.partitions;
  const keep = deployed !== undefined && deployed >= bridgeMax;
  const partitions = keep ? deployed : partitionStep(bridgeMax);
  return {
    value: partitions,
    steps: [
      `needed >= bridge max replicas = ${bridgeMax} (a consumer beyond the partition count idles)`,
      keep
        ? `deployed count ${deployed} >= ${bridgeMax}: kept (partitions never decrease, keys stay put)`
        : `smallest 3 x 2^k >= ${bridgeMax} = ${partitions}` +
          (deployed !== undefined ? ` (raised from the deployed ${deployed})` : ''),
    ],
  };
}

/** History shards: budgeted per history event; fixed for the life of a cluster. */
function historyShards(ctx: RuleContext): Sized<number> {
  const { design, measured, warnings } = ctx;
  const A = ASSUMPTIONS;
  const historyPerSecond = ((design / 60) * measured.historyEventsPer1000Events) / 1000;
  const shardsNeeded = Math.ceil(historyPerSecond / A.shardHistoryEventsPerSecond);
  const freshShards = Math.min(
    A.maxShards,
    Math.max(A.minShards, nextPowerOfTwo(shardsNeeded * A.shardLifetimeGrowth)),
  );
  const deployedShards = ctx.inputs.deployed?.shards;
  const steps = [
    `history events/s at the design rate = ${n(design)} / 60 x ${measured.historyEventsPer1000Events} / 1000 = ${n(historyPerSecond, 1)}`,
    `shards needed = ceil(${n(historyPerSecond, 1)} / ${A.shardHistoryEventsPerSecond} per shard) = ${shardsNeeded}`,
  ];
  let shards: number;
  if (deployedShards !== undefined && deployedShards >= shardsNeeded) {
    shards = deployedShards;
    steps.push(`deployed ${deployedShards} >= ${shardsNeeded}: kept (the shard count is fixed at creation)`);
  } else {
    shards = freshShards;
    steps.push(
      `new cluster: power of two >= ${shardsNeeded} x lifetime growth ${A.shardLifetimeGrowth}, in [${A.minShards}, ${A.maxShards}] = ${shards}`,
    );
    if (deployedShards !== undefined) {
      warnings.push(
        `temporal.numHistoryShards: ${shardsNeeded} shards are needed but ${deployedShards} are deployed; the count cannot change in place (synth refuses it): migrate to a new Temporal cluster (docs/sre-guide.md, "Changing history shards")`,
      );
    }
  }
  if (shardsNeeded > A.maxShards) {
    warnings.push(
      `temporal.numHistoryShards: ${shardsNeeded} shards exceed ${A.maxShards}: split the load across namespaces or clusters`,
    );
  }
  return { value: shards, steps };
}

/**
 * Temporal services: the measured CPU split by an assumed share; history a power of two so that the
 * shards spread evenly.
 */
function temporalServices(ctx: RuleContext, shards: Sized<number>): Sizing['temporal'] {
  const { inputs, design, perCore } = ctx;
  const A = ASSUMPTIONS;
  const floor = inputs.topology.minReplicas;
  const temporalCores = design / perCore.temporal;
  const podCores = cores(inputs.pods.temporalCpu, 'pods.temporalCpu');
  const service = (svc: keyof typeof A.temporalShare, roundPow2: boolean): Sized<number> => {
    const load = temporalCores * A.temporalShare[svc];
    const raw = pods(load, podCores, floor);
    const value = roundPow2 ? Math.min(shards.value, nextPowerOfTwo(raw)) : raw;
    return {
      value,
      steps: [
        rateLine(ctx, 'temporal'),
        `Temporal cores at the design rate = ${n(design)} / ${n(perCore.temporal)} = ${n(temporalCores, 2)}`,
        `${svc} = max(${floor}, ceil(${n(temporalCores, 2)} x share ${A.temporalShare[svc]} / ${inputs.pods.temporalCpu} per pod)) = ${raw}` +
          (roundPow2 ? `; power of two <= shards: ${value}` : ''),
      ],
    };
  };
  return {
    numHistoryShards: shards,
    frontend: service('frontend', false),
    history: service('history', true),
    matching: service('matching', false),
    worker: {
      value: floor,
      steps: [`internal system workflows only, independent of the event rate: the floor ${floor}`],
    },
    // The calibration runs every service in one process, so the measurement is the whole server's
    // (frontend and matching hold no cache); the floor covers the history shards a pod owns.
    podMemory: podMemory(ctx, 'temporal', inputs.pods.temporalCpu, A.temporalMinPodMemoryMi),
  };
}

/**
 * Postgres: one primary takes every write, so CPU scales up, not out; instances are availability;
 * storage holds the ledger and Temporal's history; the Pooler and max_connections hold every client.
 */
function postgresSizing(
  ctx: RuleContext,
  temporal: Sizing['temporal'],
  worker: ScaledSizing,
): Sizing['postgres'] {
  const { inputs, design, perCore, warnings } = ctx;
  const { topology: topo, retention, connections: conn } = inputs;
  const rate = inputs.eventsPerMinute;
  const A = ASSUMPTIONS;
  const pgCores = design / perCore.postgres;
  const pgCpu = A.postgresCpuSteps.find((s) => s >= pgCores) ?? Math.ceil(pgCores);
  if (pgCores > A.postgresMaxCores) {
    warnings.push(
      `postgres.cpu: the primary needs ${n(pgCores, 1)} cores, beyond ${A.postgresMaxCores} on one node: split the application database from Temporal's, or shard (docs/capacity.md, "Limits")`,
    );
  }
  const pgMemoryGi = pgCpu * A.postgresMemoryGiPerCore;
  const eventsPerDay = rate * 60 * 24;
  // A partition goes once all its days are past the retention: up to one span more is kept.
  const partitionDays = ledgerPartitionDays(retention.ledgerDays * 24 * 3600_000);
  const ledgerDaysKept = retention.ledgerDays + partitionDays;
  const ledgerBytes = eventsPerDay * ledgerDaysKept * A.ledgerBytesPerEvent;
  const historyBytes = eventsPerDay * retention.temporalDays * A.temporalBytesPerEvent;
  const batchesPerDay = eventsPerDay / ctx.measured.batchEvents;
  const auditBytes = batchesPerDay * retention.auditDays * A.batchRecordBytes;
  const pgStorage = formatGi((ledgerBytes + historyBytes + auditBytes) / A.postgresDiskFill, 100);
  if (parseQuantity(pgStorage)! / GIB > A.postgresMaxVolumeGi) {
    warnings.push(
      `postgres.storageSize: ${pgStorage} per instance is beyond ${A.postgresMaxVolumeGi}Gi, the largest volume many clouds offer: prune the ledger sooner (MAX_EVENT_AGE_MS) or move the application database to a cluster of its own (docs/capacity.md, "Limits")`,
    );
  }
  const walBytesPerSecond =
    (rate / 60) * (A.ledgerBytesPerEvent + A.temporalBytesPerEvent) * A.walAmplification;
  const wal = formatGi(
    Math.max(A.minWalGi * GIB, (walBytesPerSecond * A.walBufferSeconds) / A.postgresDiskFill),
    A.minWalGi,
  );
  const temporalPods =
    temporal.frontend.value + temporal.history.value + temporal.matching.value + temporal.worker.value;
  const temporalClients = temporalPods * A.temporalDatastores * conn.temporalMaxConns;
  const workerClients = worker.maxReplicas.value * conn.workerDatabasePoolSize;
  const poolerInstances = Math.max(
    topo.minPoolerInstances,
    Math.ceil((temporalClients + workerClients) / conn.poolerMaxClientConn),
  );
  const serverConns = poolerInstances * conn.poolerDefaultPoolSize * A.pooledDatabases;
  const maxConnections = Math.ceil((serverConns + A.pgReservedConnections) / 50) * 50;
  return {
    instances: {
      value: topo.postgresInstances,
      steps: [`availability, not throughput (replicas take no writes): ${topo.postgresInstances}`],
    },
    cpu: {
      value: formatCpu(pgCpu),
      steps: [
        rateLine(ctx, 'postgres'),
        `primary cores at the design rate = ${n(design)} / ${n(perCore.postgres)} = ${n(pgCores, 2)}`,
        `next machine size in ${A.postgresCpuSteps.join(', ')} = ${formatCpu(pgCpu)}`,
      ],
    },
    memory: {
      value: `${pgMemoryGi}Gi`,
      steps: [`${formatCpu(pgCpu)} cores x ${A.postgresMemoryGiPerCore} GiB per core = ${pgMemoryGi}Gi`],
    },
    storageSize: {
      value: pgStorage,
      steps: [
        `events per day = ${n(rate)} x 1,440 = ${n(eventsPerDay)}`,
        `ledger partitions = ${retention.ledgerDays} days / ${PARTITIONS_PER_WINDOW}, rounded up = ${partitionDays} days each`,
        `ledger = ${n(eventsPerDay)} x (${retention.ledgerDays} days + the ${partitionDays}-day partition waiting to be dropped) x ${A.ledgerBytesPerEvent} B = ${n(ledgerBytes / GIB)} GiB`,
        `Temporal history = ${n(eventsPerDay)} x ${retention.temporalDays} days x ${A.temporalBytesPerEvent} B = ${n(historyBytes / GIB)} GiB`,
        `batch records (audit) = ${n(eventsPerDay)} / ${n(ctx.measured.batchEvents)} events per batch x ${retention.auditDays} days x ${A.batchRecordBytes} B = ${n(auditBytes / GIB, 1)} GiB`,
        `per instance = (ledger + history + batch records) / fill ${A.postgresDiskFill}, rounded up to 100Gi = ${pgStorage}`,
      ],
    },
    walStorageSize: {
      value: wal,
      steps: [
        `WAL = ${n(rate)} / 60 x (${A.ledgerBytesPerEvent} + ${A.temporalBytesPerEvent}) B x ${A.walAmplification} = ${n(walBytesPerSecond / 2 ** 20, 1)} MiB/s`,
        `holding ${A.walBufferSeconds} s if archiving stalls, / fill ${A.postgresDiskFill}, at least ${A.minWalGi}Gi = ${wal}`,
      ],
    },
    poolerInstances: {
      value: poolerInstances,
      steps: [
        `Temporal clients = ${temporalPods} pods x ${A.temporalDatastores} datastores x maxConns ${conn.temporalMaxConns} = ${temporalClients}`,
        `worker clients = max ${worker.maxReplicas.value} x pool ${conn.workerDatabasePoolSize} = ${workerClients}`,
        `PgBouncer pods = max(${topo.minPoolerInstances}, ceil(${temporalClients + workerClients} / ${conn.poolerMaxClientConn} clients each)) = ${poolerInstances}`,
      ],
    },
    maxConnections: {
      value: maxConnections,
      steps: [
        `server connections = ${poolerInstances} pods x pool ${conn.poolerDefaultPoolSize} x ${A.pooledDatabases} databases = ${serverConns}`,
        `max_connections = ${serverConns} + ${A.pgReservedConnections} reserved, rounded up to 50 = ${maxConnections}`,
      ],
    },
  };
}

/**
 * sensor-data keeps a record as long as the bridge may be down or behind (the planned outage; at most
 * the event window, past which the reading is refused anyway), so retention never overtakes it.
 */
function sensorDataRetention(inputs: SizingInputs): Sized<number> {
  const { retention, maxEventAgeHours } = inputs;
  const hours = Math.max(retention.kafkaHours, Math.min(maxEventAgeHours, retention.longestOutageHours));
  return {
    value: hours,
    steps: [
      `min(event window ${maxEventAgeHours} h, longest outage ${retention.longestOutageHours} h), at least retention.kafkaHours ${retention.kafkaHours} h = ${hours} h`,
    ],
  };
}

/** Kafka: brokers for CPU (x replication factor) or for disk, whichever needs more. @throws SizingError */
function kafkaSizing(
  ctx: RuleContext,
  partitions: number,
  sensorDataHours: number,
): Pick<Sizing['kafka'], 'brokers' | 'storageSize'> {
  const { inputs, design, perCore, measured } = ctx;
  const { topology: topo, retention } = inputs;
  const rate = inputs.eventsPerMinute;
  const A = ASSUMPTIONS;
  const rf = topo.replicationFactor;
  const brokerCores = cores(inputs.pods.brokerCpu, 'pods.brokerCpu');
  const kafkaCores = (design / perCore.kafka) * rf;
  const retainedHours = sensorDataHours + retention.kafkaHours;
  const bytesStored = (rate / 60) * measured.avgEventBytes * retainedHours * 3600 * rf;
  const diskNeeded = bytesStored / A.kafkaDiskFill;
  const maxVolume = parseQuantity(inputs.pods.brokerMaxStorage);
  if (maxVolume === undefined || maxVolume <= 0) {
    throw new SizingError(
      `'pods.brokerMaxStorage' (${JSON.stringify(inputs.pods.brokerMaxStorage)}) must be a storage quantity > 0`,
    );
  }
  const forCpu = pods(kafkaCores, brokerCores, 1);
  const forDisk = Math.ceil(diskNeeded / maxVolume - 1e-9);
  const brokers = Math.max(topo.minBrokers, rf, forCpu, forDisk);
  const totalPartitions =
    2 * partitions + Object.values(inputs.otherTopics).reduce((sum, t) => sum + t.partitions, 0);
  const segmentsPerBroker = Math.ceil((totalPartitions * rf) / brokers);
  const segmentFloor = segmentsPerBroker * A.kafkaSegmentBytes;
  const brokerStorage = formatGi(Math.max(diskNeeded / brokers, segmentFloor), 100);
  return {
    brokers: {
      value: brokers,
      steps: [
        rateLine(ctx, 'kafka'),
        `broker cores = ${n(design)} / ${n(perCore.kafka)} x RF ${rf} = ${n(kafkaCores, 2)}; / ${inputs.pods.brokerCpu} per broker = ${forCpu}`,
        `for disk = ceil(${n(diskNeeded / GIB)} GiB / ${inputs.pods.brokerMaxStorage}) = ${forDisk}`,
        `brokers = max(${topo.minBrokers}, RF ${rf}, ${forCpu}, ${forDisk}) = ${brokers}`,
      ],
    },
    storageSize: {
      value: brokerStorage,
      steps: [
        `stored = ${n(rate)} / 60 x ${measured.avgEventBytes} B x (sensor-data ${sensorDataHours} h + processed ${retention.kafkaHours} h) x 3,600 x RF ${rf} = ${n(bytesStored / GIB)} GiB`,
        `active segments per broker = ${totalPartitions} partitions x RF ${rf} / ${brokers} brokers = ${segmentsPerBroker} x ${A.kafkaSegmentBytes / GIB} GiB`,
        `per broker = max(${n(bytesStored / GIB)} GiB / fill ${A.kafkaDiskFill} / ${brokers} brokers, ${n(segmentFloor / GIB)} GiB of segments), rounded up to 100Gi = ${brokerStorage}`,
      ],
    },
  };
}

/**
 * Sizes an environment: one rule per figure, in the order docs/capacity.md explains them (replicas,
 * partitions, shards, Temporal services, Postgres, sensor-data retention, Kafka).
 * @throws SizingError when a rate, the headroom or a pod shape is not usable.
 */
export function sizeEnvironment(inputs: SizingInputs, measured: CalibrationMeasurement): Sizing {
  checkRates(inputs);
  const design = inputs.eventsPerMinute * inputs.headroom;
  const perCore = Object.fromEntries(
    Object.entries(measured.cpuCoresAtMax).map(([proc, c]) => [proc, measured.eventsPerMinute / c]),
  ) as Record<ProcessName, number>;
  const ctx: RuleContext = { inputs, measured, design, perCore, warnings: [] };
  const bridge = scaledReplicas(ctx, 'bridge', inputs.pods.bridgeCpu);
  const worker = scaledReplicas(ctx, 'worker', inputs.pods.workerCpu);
  const partitions = partitionCount(ctx, bridge.maxReplicas.value);
  const temporal = temporalServices(ctx, historyShards(ctx));
  const postgres = postgresSizing(ctx, temporal, worker);
  const sensorDataRetentionHours = sensorDataRetention(inputs);
  const kafka = kafkaSizing(ctx, partitions.value, sensorDataRetentionHours.value);
  return {
    inputs,
    designEventsPerMinute: design,
    perCore,
    partitions,
    bridge,
    worker,
    temporal,
    postgres,
    kafka: { ...kafka, sensorDataRetentionHours },
    warnings: ctx.warnings,
  };
}

/**
 * Every environment field the sizing decides or assumes, by config path: the one mapping between the
 * model and stacks/config/*.ts, used by the CLI's `--json` and by the test that they agree.
 */
export function sizedFields(s: Sizing): Readonly<Record<string, number | string>> {
  const i = s.inputs;
  return {
    'kafka.topics.sensorData.partitions': s.partitions.value,
    'kafka.topics.processed.partitions': s.partitions.value,
    'kafka.topics.sensorData.retentionHours': s.kafka.sensorDataRetentionHours.value,
    'kafka.topics.processed.retentionHours': i.retention.kafkaHours,
    ...Object.fromEntries(
      Object.entries(i.otherTopics).flatMap(([key, t]) => [
        [`kafka.topics.${key}.partitions`, t.partitions],
        [`kafka.topics.${key}.retentionHours`, t.retentionHours],
      ]),
    ),
    'kafka.brokers.replicas': s.kafka.brokers.value,
    'kafka.brokers.storageSize': s.kafka.storageSize.value,
    'kafka.brokers.cpu': i.pods.brokerCpu,
    'kafka.replicationFactor': i.topology.replicationFactor,
    'pipeline.bridge.minReplicas': s.bridge.minReplicas.value,
    'pipeline.bridge.maxReplicas': s.bridge.maxReplicas.value,
    'pipeline.bridge.cpu': i.pods.bridgeCpu,
    'pipeline.bridge.memory': s.bridge.memory.value,
    'pipeline.eventWindow.maxEventAgeHours': i.maxEventAgeHours,
    'pipeline.eventWindow.ledgerRetentionHours': i.retention.ledgerDays * 24,
    'pipeline.eventWindow.auditRetentionHours': i.retention.auditDays * 24,
    'pipeline.longestOutageHours': i.retention.longestOutageHours,
    'pipeline.worker.minReplicas': s.worker.minReplicas.value,
    'pipeline.worker.maxReplicas': s.worker.maxReplicas.value,
    'pipeline.worker.cpu': i.pods.workerCpu,
    'pipeline.worker.memory': s.worker.memory.value,
    'pipeline.worker.databasePoolSize': i.connections.workerDatabasePoolSize,
    'temporal.numHistoryShards': s.temporal.numHistoryShards.value,
    'temporal.replicas.frontend': s.temporal.frontend.value,
    'temporal.replicas.history': s.temporal.history.value,
    'temporal.replicas.matching': s.temporal.matching.value,
    'temporal.replicas.worker': s.temporal.worker.value,
    ...Object.fromEntries(
      Object.entries(temporalResources(s)).flatMap(([svc, r]) => [
        [`temporal.resources.${svc}.cpu`, r.cpu],
        [`temporal.resources.${svc}.memory`, r.memory],
      ]),
    ),
    'temporal.retentionDays': i.retention.temporalDays,
    'temporal.maxConns': i.connections.temporalMaxConns,
    'postgres.instances': s.postgres.instances.value,
    'postgres.cpu': s.postgres.cpu.value,
    'postgres.memory': s.postgres.memory.value,
    'postgres.storageSize': s.postgres.storageSize.value,
    'postgres.walStorageSize': s.postgres.walStorageSize.value,
    'postgres.maxConnections': s.postgres.maxConnections.value,
    'postgres.pooler.instances': s.postgres.poolerInstances.value,
    'postgres.pooler.defaultPoolSize': i.connections.poolerDefaultPoolSize,
    'postgres.pooler.maxClientConn': i.connections.poolerMaxClientConn,
  };
}

/** Requests (memory also the limit) of each Temporal service's pods, for `temporal.resources`. */
export function temporalResources(
  s: Sizing,
): Readonly<Record<TemporalService, { readonly cpu: string; readonly memory: string }>> {
  const server = { cpu: s.inputs.pods.temporalCpu, memory: s.temporal.podMemory.value };
  return {
    frontend: server,
    history: server,
    matching: server,
    worker: ASSUMPTIONS.temporalWorkerServicePod,
  };
}
