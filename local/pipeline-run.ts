/**
 * One pipeline run on a local stack, the one runner of `npm run local`, `npm run chaos` and the bench:
 * the worker and bridge processes (restartable), bound to a set of names (shared, or the bench run's
 * own), the simulated fleet and its producer when the run drives one, progress snapshots, the drain
 * and the exactly-once verification at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, type KafkaMessage, type Producer } from 'kafkajs';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { kafkaClientConfig, type StackEndpoints } from './config.js';
import {
  directDatabaseUrl,
  migratePipelineDatabase,
  pipelineDatabaseUrl,
  pipelineEnv,
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
  type PipelineRole,
} from './pipeline-processes.js';
import {
  alertChecks,
  appliedSoFar,
  deviceStateMismatches,
  effectCounts,
  exactlyOnceChecks,
  processedTopicCounts,
  readSince,
  topicEndOffsets,
  type Check,
  type TopicOffsets,
} from './run-verification.js';
import { Fleet, type FleetOptions } from './simulator/fleet.js';
import { pipelineNamesEnv, SHARED_PIPELINE_NAMES, type PipelineNames } from './pipeline-names.js';
import { produceFleet } from './simulator/producer.js';
import { TEMPORAL_NAMESPACE, acknowledgeSignal } from '../workers/shared/temporal.js';
import { formatCount } from './lib/format.js';
import { freePort } from './lib/proc.js';
import type { RunSnapshot } from './run-progress.js';

export interface PipelineRunOptions {
  readonly ep: StackEndpoints;
  /** Where the bridge and workers connect; differs from `ep` when a chaos proxy sits in between. */
  readonly processEndpoints?: StackEndpoints;
  readonly runId: string;
  readonly workers: number;
  /** The simulated fleet this run drives with produce(); a bench drives its own simulator processes. */
  readonly fleet?: Omit<FleetOptions, 'runId'>;
  /** Topics, task queue, consumer group and database; the shared ones unless given. */
  readonly names?: PipelineNames;
  /**
   * Where the processes serve /metrics (the bridge here, worker i at `+ 6 + i`, its SDK metrics 10
   * above). @default free ports chosen per process, so that two runs on one machine never collide
   * (printed by `portsLine()`)
   */
  readonly metricsBasePort?: number;
  readonly env?: Record<string, string>;
  /** Process name prefix, so that two kinds of run keep apart logs. */
  readonly namePrefix?: string;
  /** Extra Node flags per process name, e.g. the bench's --cpu-prof. */
  readonly nodeArgs?: (name: string) => string[];
}

/** What the run sent, when the verification cannot take it from the run's own fleet. */
export interface ExpectedCounts {
  readonly valid: number;
  readonly malformed: number;
  /** Devices that sent at least one valid event. */
  readonly devices: number;
}

export interface VerifyOptions {
  /** Default: the run's fleet's counts. */
  readonly expected?: ExpectedCounts;
  /**
   * Also check each device's state and the alert effects (default). The bench leaves them out: its
   * runs hold tens of millions of events and no alert workflow finishes within them.
   */
  readonly deep?: boolean;
  /** Sees each of the run's records on the processed topic (the bench reads latencies in the same pass). */
  readonly observe?: (message: KafkaMessage) => void;
  /** Progress: one line per part of the check, with its time. */
  readonly say?: (line: string) => void;
}

export type { Check } from './run-verification.js';
export type { RunSnapshot } from './run-progress.js';

export interface Verification {
  readonly ok: boolean;
  readonly checks: Check[];
  readonly processed: number;
  readonly deadLettered: number;
  readonly alertLine: string;
  /** The escalation levels the run's alerts reached (1 = the first escalation), ascending. */
  readonly escalationLevels: number[];
  readonly redeliveriesDropped: number;
}

/** Counts as the run prints them (re-exported for the chaos run). */
export const fmt = (n: number): string => formatCount(n);

/** With a fixed base: a worker's Temporal SDK metrics port is its /metrics port plus this. */
const SDK_PORT_OFFSET = 10;

export class PipelineRun {
  readonly kafka: Kafka;
  readonly pool: pg.Pool;
  readonly names: PipelineNames;
  private readonly ownFleet: Fleet | undefined;
  /** Live processes by name; a restart replaces the entry. */
  readonly processes = new Map<string, PipelineProcess>();
  private readonly ports = new Map<string, number>();
  private readonly sdkPorts = new Map<string, number>();
  private readonly roles = new Map<string, PipelineRole>();
  private readonly env: Record<string, string>;
  private readonly acked = new Set<string>();
  private producer: Producer | undefined;

  private constructor(
    readonly opts: PipelineRunOptions,
    private readonly connection: Connection,
    readonly temporal: Client,
    private readonly startOffsets: {
      processed: TopicOffsets;
      deadLetter: TopicOffsets;
      alerts: TopicOffsets;
    },
  ) {
    this.names = opts.names ?? SHARED_PIPELINE_NAMES;
    this.kafka = new Kafka(kafkaClientConfig(opts.ep, `run-${opts.runId}`));
    this.pool = new pg.Pool({ connectionString: directDatabaseUrl(opts.ep, this.names.database), max: 2 });
    // A run outlives Postgres restarts: a dropped idle connection must not crash the process.
    this.pool.on('error', () => undefined);
    const processEp = opts.processEndpoints ?? opts.ep;
    this.env = pipelineEnv(processEp, {
      DATABASE_URL: pipelineDatabaseUrl(processEp, this.names.database),
      ...pipelineNamesEnv(this.names),
      ...opts.env,
    });
    this.ownFleet = opts.fleet && new Fleet({ runId: opts.runId, ...opts.fleet });
  }

  /** The simulated fleet of a run that drives one (`npm run local`, the chaos run). */
  get fleet(): Fleet {
    if (!this.ownFleet) throw new Error(`run ${this.opts.runId} drives no fleet of its own`);
    return this.ownFleet;
  }

  /** Connects the run's clients, notes where its output starts, starts the workers and the bridge. */
  static async start(opts: PipelineRunOptions): Promise<PipelineRun> {
    const kafka = new Kafka(kafkaClientConfig(opts.ep, `run-${opts.runId}-setup`));
    const topics = (opts.names ?? SHARED_PIPELINE_NAMES).topics;
    // Just-created topics may still be electing leaders ("not the leader"): ask again a few times.
    const endOffsets = async (topic: string) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await topicEndOffsets(kafka, topic);
        } catch (err) {
          if (attempt >= 10) throw err;
          await sleep(1000);
        }
      }
    };
    const startOffsets = {
      processed: await endOffsets(topics.processed),
      deadLetter: await endOffsets(topics.deadLetter),
      alerts: await endOffsets(topics.alerts),
    };
    const connection = await Connection.connect({ address: opts.ep.temporalAddress });
    const run = new PipelineRun(
      opts,
      connection,
      new Client({ connection, namespace: TEMPORAL_NAMESPACE }),
      startOffsets,
    );
    // As the chart's init container does before the workers start: the workers' role has no DDL.
    await migratePipelineDatabase(opts.ep, run.names.database);
    const prefix = opts.namePrefix ?? '';
    const base = opts.metricsBasePort;
    for (let i = 0; i < opts.workers; i++) {
      const port = base === undefined ? await freePort() : base + 6 + i;
      const sdkPort = base === undefined ? await freePort() : port + SDK_PORT_OFFSET;
      run.launch('worker', `${prefix}worker-${i}`, port, sdkPort);
    }
    run.launch('bridge', `${prefix}bridge-0`, base ?? (await freePort()));
    await Promise.all([...run.processes.values()].map((p) => waitReady(p)));
    return run;
  }

  get bridge(): PipelineProcess {
    return [...this.processes.values()].find((p) => p.role === 'bridge')!;
  }

  get workers(): PipelineProcess[] {
    return [...this.processes.values()].filter((p) => p.role === 'worker');
  }

  /** Where Prometheus scrapes this run's processes (local/prometheus.ts), by job. */
  scrapeTargets(): { job: string; targets: string[] }[] {
    const at = (port: number) => `127.0.0.1:${port}`;
    const ports = (role: PipelineRole) =>
      [...this.ports].filter(([name]) => this.roles.get(name) === role).map(([, port]) => port);
    return [
      { job: 'sensor-bridge', targets: ports('bridge').map(at) },
      { job: 'sensor-worker', targets: ports('worker').map(at) },
      { job: 'temporal-sdk', targets: [...this.sdkPorts.values()].map(at) },
    ];
  }

  /** One line naming each process's metrics port, for the run's output. */
  portsLine(): string {
    return [...this.ports]
      .map(([name, port]) => {
        const sdk = this.sdkPorts.get(name);
        return `${name} :${port}${sdk ? ` (sdk :${sdk})` : ''}`;
      })
      .join(', ');
  }

  get logFiles(): string[] {
    return [...this.processes.values()].map((p) => p.logFile);
  }

  private launch(role: PipelineRole, name: string, port: number, sdkPort?: number): PipelineProcess {
    // Each worker's Temporal SDK exporter (schedule-to-start, slots) beside its /metrics.
    const env =
      sdkPort !== undefined ? { ...this.env, TEMPORAL_SDK_METRICS_PORT: String(sdkPort) } : this.env;
    const p = startPipelineProcess(role, name, env, port, this.opts.nodeArgs?.(name));
    this.processes.set(name, p);
    this.ports.set(name, port);
    if (sdkPort !== undefined) this.sdkPorts.set(name, sdkPort);
    this.roles.set(name, role);
    return p;
  }

  /** Starts a process again under its name and ports, as Kubernetes restarts a crashed pod. */
  async relaunch(name: string): Promise<PipelineProcess> {
    const p = this.launch(this.roles.get(name)!, name, this.ports.get(name)!, this.sdkPorts.get(name));
    await waitReady(p);
    return p;
  }

  /** SIGKILL: no drain, no commit, no goodbye to the consumer group. */
  async kill(name: string): Promise<void> {
    const p = this.processes.get(name);
    if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
    p.child.kill('SIGKILL');
    await p.exited;
  }

  /**
   * Produces the fleet's readings at `rate` events/s. The producer retries for minutes, so the fleet
   * rides out a broker restart the way a device buffers: late, never lost (idempotent producer).
   */
  async produce(rate: number, durationMs: number, shouldStop: () => boolean): Promise<void> {
    // Both levels retry: the client's (connections, metadata) and the producer's (the send).
    const retry = { retries: 60, initialRetryTime: 300, maxRetryTime: 5_000 };
    const kafka = new Kafka({ ...kafkaClientConfig(this.opts.ep, `run-${this.opts.runId}-fleet`), retry });
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, retry });
    await this.producer.connect();
    try {
      await produceFleet(this.producer, this.fleet, {
        topic: this.names.topics.sensorData,
        rate,
        durationMs,
        shouldStop,
      });
    } finally {
      await this.producer.disconnect();
    }
  }

  /** Records on the dead-letter topic since the run started (workers dead-letter; any may restart). */
  private async deadLettered(): Promise<number> {
    const from = this.startOffsets.deadLetter;
    try {
      const now = await topicEndOffsets(this.kafka, from.topic);
      return now.partitions.reduce((sum, p) => {
        const start = from.partitions.find((s) => s.partition === p.partition)?.offset ?? '0';
        return sum + Number(BigInt(p.offset) - BigInt(start));
      }, 0);
    } catch {
      return 0; // Kafka down or restarting
    }
  }

  /** Counts of the run so far; Postgres-derived fields are undefined while it cannot be read. */
  async snapshot(): Promise<RunSnapshot> {
    const prefix = `${this.opts.runId}-`;
    let processed: number | undefined;
    let alerts: Record<string, number> | undefined;
    try {
      processed = await appliedSoFar(this.pool, prefix);
      const { rows } = await this.pool.query<{ status: string; n: string }>(
        `SELECT status, count(*) AS n FROM alerts WHERE device_id LIKE $1 GROUP BY status`,
        [`${prefix}%`],
      );
      alerts = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    } catch {
      /* Postgres down or restarting: the caller reports the gap */
    }
    return {
      at: Date.now(),
      produced: this.fleet.counts.produced,
      valid: this.fleet.counts.valid,
      duplicates: this.fleet.counts.duplicates,
      malformed: this.fleet.counts.malformed,
      processed,
      dlq: await this.deadLettered(),
      alerts,
    };
  }

  /** A simulated operator acknowledges every other alert, so both paths (ack, escalation) show. */
  async acknowledgeSome(): Promise<void> {
    const { rows } = await this.pool.query<{ alert_id: string }>(
      `SELECT alert_id FROM alerts WHERE device_id LIKE $1 AND status = 'open' AND raised_at < now() - interval '5 seconds' ORDER BY alert_id`,
      [`${this.opts.runId}-%`],
    );
    for (const [i, row] of rows.entries()) {
      if (this.acked.has(row.alert_id) || i % 2 === 1) continue;
      this.acked.add(row.alert_id);
      await this.temporal.workflow
        .getHandle(row.alert_id)
        .signal(acknowledgeSignal, { by: 'local-operator' })
        .catch(() => undefined);
    }
  }

  /**
   * Waits until every valid event is in the ledger or the timeout passes, calling `tick` every two
   * seconds. Fails when a process has exited (unless `tolerateExits`: a chaos run restarts them).
   */
  async drain(timeoutS: number, tick: () => Promise<RunSnapshot>, tolerateExits = false): Promise<boolean> {
    const deadline = Date.now() + timeoutS * 1000;
    for (;;) {
      const s = await tick();
      if (s.processed !== undefined && s.processed >= this.fleet.counts.valid) return true;
      if (Date.now() > deadline) return false;
      if (!tolerateExits) {
        for (const p of this.processes.values()) {
          if (p.child.exitCode !== null)
            throw new Error(`${p.name} exited with ${p.child.exitCode}; see ${p.logFile}`);
        }
      }
      await sleep(2000);
    }
  }

  /** SIGTERM in reverse start order (bridge first, so nothing new starts while workers drain). */
  async stopProcesses(onStopped?: (name: string, code: number | null) => void): Promise<void> {
    // Not `onStopped?.(p.name, await stop(p))`: without a callback that skips its arguments, and the
    // stop with them (the bench left its bridge and worker running that way).
    for (const p of [...this.processes.values()].reverse()) {
      const code = await stopPipelineProcess(p);
      onStopped?.(p.name, code);
    }
  }

  /**
   * The exactly-once check: each valid event once in the ledger, in the rollups and (after dedup) on the
   * processed topic; device state at each device's latest event; each alert raised once per workflow
   * run and each alert transition published once; every malformed record dead-lettered.
   */
  async verify(options: VerifyOptions = {}): Promise<Verification> {
    const prefix = `${this.opts.runId}-`;
    const expected = options.expected ?? this.fleetExpectation();
    const deep = options.deep ?? true;
    // Over millions of events the check takes a while: say what it reads and how long each part took.
    const step = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
      const started = Date.now();
      const result = await fn();
      options.say?.(`  checked ${what} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return result;
    };
    const effects = await step('ledger and rollups', () => effectCounts(this.pool, prefix));
    const topic = await step('the processed topic', () =>
      processedTopicCounts(this.kafka, this.startOffsets.processed, prefix, options.observe),
    );
    let deadLettered = 0;
    await step('the dead-letter topic', () =>
      readSince(this.kafka, this.startOffsets.deadLetter, () => deadLettered++),
    );
    const staleDevices = deep
      ? await step('device state', () => deviceStateMismatches(this.pool, prefix))
      : undefined;
    const alerts = deep
      ? await step('alerts', () => alertChecks(this.pool, this.kafka, this.startOffsets.alerts, prefix))
      : undefined;
    const byStatus = await this.pool.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM alerts WHERE device_id LIKE $1 GROUP BY status ORDER BY status`,
      [`${prefix}%`],
    );
    const escalations = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM alert_transitions WHERE alert_id LIKE $1 AND transition = 'escalated'`,
      [`alert:${prefix}%`],
    );
    const levels = await this.pool.query<{ level: number }>(
      `SELECT DISTINCT level FROM alert_transitions WHERE alert_id LIKE $1 AND transition = 'escalated' ORDER BY level`,
      [`alert:${prefix}%`],
    );
    const checks = exactlyOnceChecks({
      ...expected,
      effects,
      topic,
      deadLettered,
      staleDevices,
      alerts,
    });
    return {
      ok: checks.every((k) => k.pass),
      checks,
      processed: effects.ledger,
      deadLettered,
      redeliveriesDropped: topic.redeliveries,
      escalationLevels: levels.rows.map((r) => r.level),
      alertLine: `${byStatus.rows.map((r) => `${r.status} ${r.n}`).join(', ') || 'none'}; escalations ${escalations.rows[0]?.n ?? 0}`,
    };
  }

  private fleetExpectation(): ExpectedCounts {
    const c = this.fleet.counts;
    return {
      valid: c.valid,
      malformed: c.malformed,
      devices: Math.min(this.opts.fleet?.devices ?? 0, c.valid),
    };
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
    await this.connection.close().catch(() => undefined);
  }
}
