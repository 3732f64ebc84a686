/**
 * The pipeline under test, as `npm run local` runs it: the real bridge and worker processes on the
 * local servers, bound to this run's own topics, consumer group, task queue and database so that a
 * bench never shares state with another run, a test or `npm run local` on the same servers.
 */
import { join } from 'node:path';
import { Kafka, type Admin } from 'kafkajs';
import pg from 'pg';
import type { Client, Connection } from '@temporalio/client';
import { kafkaClientConfig, loadStackConfig, type StackEndpoints } from '../local/config.js';
import {
  pipelineEnv,
  scrapeMetric,
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../local/pipeline-processes.js';
import { psql } from '../local/postgres.js';
import {
  effectCounts,
  exactlyOnceChecks,
  processedTopicCounts,
  readSince,
  topicEndOffsets,
} from '../local/run-verification.js';
import { ensureTopics, pipelineTopicSpecs } from '../local/topics.js';
import { prefixedTopics } from '../workers/shared/topics.js';
import type { TopicNames } from '../workers/config.js';
import { connectTemporal } from '../workers/lib/temporal-client.js';
import { BRIDGE_METRICS } from '../workers/shared/metrics.js';
import { ledgerRetentionScheduleId, TEMPORAL_NAMESPACE, WORKFLOW_TYPES } from '../workers/shared/temporal.js';
import { runPhase, type PhaseEnv, type PhasePlan, type PhaseResult } from './phase.js';
import { percentiles, type Percentiles } from './stats.js';

export interface OursOptions {
  readonly ep: StackEndpoints;
  readonly runId: string;
  readonly workers: number;
  readonly partitions: number;
  readonly batchSize?: number;
  readonly profileDir?: string;
  readonly logDirectory: string;
  readonly metricsBasePort: number;
  readonly phase: Omit<
    PhaseEnv,
    | 'admin'
    | 'brokers'
    | 'inputTopic'
    | 'outputTopic'
    | 'processes'
    | 'openBatches'
    | 'devicePrefix'
    | 'logDirectory'
  >;
}

export interface TemporalCost {
  /** Batch workflows started in the window, and all workflows (batch + alert) of the run's queue. */
  readonly batchWorkflows: number;
  readonly alertWorkflows: number;
  readonly events: number;
  readonly workflowsPer1000Events: number;
  readonly historyEventsPer1000Events: number;
  readonly avgBatchHistoryLength: number;
  readonly avgEventsPerBatch: number;
  /** Histories read to compute the average (all, or a sample of the first ones listed). */
  readonly historiesSampled: number;
}

export interface ExactlyOnce {
  readonly ok: boolean;
  readonly checks: { name: string; pass: boolean; detail: string }[];
}

export interface OursPhase extends PhaseResult {
  /** Reading timestamp → SensorDataProcessed record's Kafka timestamp (set by the worker's producer), ms. */
  latencyMs?: Percentiles;
  latencySorted?: Float64Array;
  temporal?: TemporalCost;
}

export class PipelineUnderTest {
  readonly topics: TopicNames;
  readonly taskQueue: string;
  readonly database: string;
  private readonly kafka: Kafka;
  private admin!: Admin;
  private pool!: pg.Pool;
  private temporal!: { connection: Connection; client: Client };
  private processes: PipelineProcess[] = [];
  private bridge!: PipelineProcess;
  private outputStart!: Awaited<ReturnType<typeof topicEndOffsets>>;
  private dlqStart!: Awaited<ReturnType<typeof topicEndOffsets>>;
  readonly phases: OursPhase[] = [];

  constructor(private readonly opts: OursOptions) {
    const id = `bench.${opts.runId}`;
    this.topics = prefixedTopics(id);
    this.taskQueue = `bench-${opts.runId}`;
    this.database = `bench_${opts.runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`;
    this.kafka = new Kafka(kafkaClientConfig(opts.ep, `bench-${opts.runId}`));
  }

  async start(): Promise<void> {
    const { ep, runId } = this.opts;
    await ensureTopics(ep.kafkaBrokers, pipelineTopicSpecs(this.topics, this.opts.partitions));
    await psql(loadStackConfig(), `CREATE DATABASE ${this.database} OWNER sensor_app`);
    const url = `postgres://sensor_app:sensor_app@${ep.postgres.host}:${ep.postgres.port}/${this.database}`;
    this.pool = new pg.Pool({ connectionString: url, max: 2 });
    this.admin = this.kafka.admin();
    await this.admin.connect();
    this.temporal = await connectTemporal({
      address: ep.temporalAddress,
      namespace: TEMPORAL_NAMESPACE,
      taskQueue: this.taskQueue,
    });
    this.outputStart = await topicEndOffsets(this.kafka, this.topics.processed);
    this.dlqStart = await topicEndOffsets(this.kafka, this.topics.deadLetter);
    const env = pipelineEnv(ep, {
      DATABASE_URL: url,
      TEMPORAL_TASK_QUEUE: this.taskQueue,
      BRIDGE_CONSUMER_GROUP: `bench-${runId}-bridge`,
      TOPIC_SENSOR_DATA: this.topics.sensorData,
      TOPIC_PROCESSED: this.topics.processed,
      TOPIC_ALERTS: this.topics.alerts,
      TOPIC_DEAD_LETTER: this.topics.deadLetter,
      TOPIC_PARKING: this.topics.parking,
      LOG_LEVEL: 'info',
      ...(this.opts.batchSize ? { BRIDGE_MAX_BATCH_EVENTS: String(this.opts.batchSize) } : {}),
    });
    const nodeArgs = (name: string) =>
      this.opts.profileDir
        ? // One file per thread (main, loader hooks, workflow threads); the report ranks the busiest.
          ['--cpu-prof', `--cpu-prof-dir=${join(this.opts.profileDir, name)}`]
        : [];
    for (let i = 0; i < this.opts.workers; i++) {
      const name = `worker-${i}`;
      this.processes.push(
        startPipelineProcess(
          'worker',
          `bench-${runId}-${name}`,
          env,
          this.opts.metricsBasePort + 1 + i,
          nodeArgs(name),
        ),
      );
    }
    this.bridge = startPipelineProcess(
      'bridge',
      `bench-${runId}-bridge`,
      env,
      this.opts.metricsBasePort,
      nodeArgs('bridge'),
    );
    this.processes.push(this.bridge);
    await Promise.all(this.processes.map((p) => waitReady(p)));
  }

  logFiles(): string[] {
    return this.processes.map((p) => p.logFile);
  }

  async runPhase(plan: PhasePlan): Promise<OursPhase> {
    const index = this.phases.length;
    const result = await runPhase(plan, {
      ...this.opts.phase,
      admin: this.admin,
      brokers: this.opts.ep.kafkaBrokers,
      inputTopic: this.topics.sensorData,
      outputTopic: this.topics.processed,
      devicePrefix: `${this.opts.runId}-${index}`,
      logDirectory: this.opts.logDirectory,
      processes: () => {
        const m = new Map<string, number>();
        for (const p of this.processes) {
          if (p.child.pid === undefined || p.child.exitCode !== null) continue;
          m.set(p.role === 'bridge' ? 'bridge' : p.name.slice(p.name.lastIndexOf('worker')), p.child.pid);
        }
        return m;
      },
      openBatches: () => scrapeMetric(this.bridge, BRIDGE_METRICS.inFlightBatches),
      failure: () => {
        const gone = this.processes.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
        return gone
          ? `${gone.name} exited (${gone.child.exitCode ?? gone.child.signalCode}) mid-run; see ${gone.logFile}`
          : undefined;
      },
    });
    this.phases.push(result);
    return result;
  }

  /**
   * The exactly-once check over every phase (reusing local/run-verification), and in the same pass
   * over the processed topic each measured phase's latency distribution.
   */
  async verify(): Promise<ExactlyOnce> {
    const { runId } = this.opts;
    const valid = this.phases.reduce((s, p) => s + p.fleet.valid, 0);
    const malformed = this.phases.reduce((s, p) => s + p.fleet.malformed, 0);
    const latencies = this.phases.map(() => [] as number[]);
    const topic = await processedTopicCounts(this.kafka, this.outputStart, `${runId}-`, (m) => {
      const value = m.value;
      if (!value) return;
      const eventTime = (JSON.parse(value.toString()) as { eventTime: number }).eventTime;
      const i = this.phases.findIndex((p) => eventTime >= p.windowStart && eventTime < p.windowEnd);
      if (i >= 0) latencies[i]!.push(Number(m.timestamp) - eventTime);
    });
    for (const [i, p] of this.phases.entries()) {
      const sorted = Float64Array.from(latencies[i]!);
      p.latencyMs = percentiles(sorted);
      p.latencySorted = sorted;
    }
    let deadLettered = 0;
    await readSince(this.kafka, this.dlqStart, () => deadLettered++);
    const effects = await effectCounts(this.pool, `${runId}-`);
    const devices = this.phases.reduce((s, p) => s + Math.min(p.devicesUsed, p.fleet.valid), 0);
    const checks = exactlyOnceChecks({ valid, malformed, devices, effects, topic, deadLettered });
    return { ok: checks.every((c) => c.pass), checks };
  }

  /**
   * Temporal cost of a phase: the batch workflows started in its measured window (visibility query on
   * the run's task queue) and their history lengths, per 1,000 events processed in that window.
   */
  async temporalCost(phase: OursPhase, sampleLimit = 5000): Promise<TemporalCost> {
    const client = this.temporal.client;
    const iso = (ms: number) => new Date(ms).toISOString();
    const inWindow = `TaskQueue = '${this.taskQueue}' AND StartTime >= '${iso(phase.windowStart)}' AND StartTime < '${iso(phase.windowEnd)}'`;
    const batches = await client.workflow.count(
      `${inWindow} AND WorkflowType = '${WORKFLOW_TYPES.processSensorBatch}'`,
    );
    const alerts = await client.workflow.count(
      `${inWindow} AND WorkflowType = '${WORKFLOW_TYPES.deviceAlert}'`,
    );
    let sampled = 0;
    let historySum = 0;
    for await (const wf of client.workflow.list({
      query: `${inWindow} AND WorkflowType = '${WORKFLOW_TYPES.processSensorBatch}' AND ExecutionStatus = 'Completed'`,
      pageSize: 1000,
    })) {
      historySum += wf.historyLength;
      if (++sampled >= sampleLimit) break;
    }
    const avgHistory = sampled > 0 ? historySum / sampled : Number.NaN;
    const events = phase.processedPerS * ((phase.windowEnd - phase.windowStart) / 1000);
    const per1000 = (n: number) => (events > 0 ? (n / events) * 1000 : Number.NaN);
    return {
      batchWorkflows: batches.count,
      alertWorkflows: alerts.count,
      events: Math.round(events),
      workflowsPer1000Events: per1000(batches.count + alerts.count),
      historyEventsPer1000Events: per1000(batches.count * avgHistory),
      avgBatchHistoryLength: avgHistory,
      avgEventsPerBatch: batches.count > 0 ? events / batches.count : Number.NaN,
      historiesSampled: sampled,
    };
  }

  /** Stops the processes; unless `keep`, removes the run's topics, database and open workflows. */
  async stop(keep: boolean): Promise<void> {
    for (const p of [...this.processes].reverse()) await stopPipelineProcess(p);
    if (this.temporal) {
      if (!keep) {
        // The workers keep a ledger retention schedule per task queue; this run's queue ends here.
        await this.temporal.client.schedule
          .getHandle(ledgerRetentionScheduleId(this.taskQueue))
          .delete()
          .catch(() => undefined);
        // Alert workflows wait for an operator; nobody will come for a bench run's devices.
        for await (const wf of this.temporal.client.workflow.list({
          query: `TaskQueue = '${this.taskQueue}' AND ExecutionStatus = 'Running'`,
        })) {
          await this.temporal.client.workflow
            .getHandle(wf.workflowId, wf.runId)
            .terminate('bench run finished')
            .catch(() => undefined);
        }
      }
      await this.temporal.connection.close();
    }
    await this.pool?.end();
    if (!keep) {
      await this.admin?.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
      await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${this.database} WITH (FORCE)`).catch(
        () => undefined,
      );
    }
    await this.admin?.disconnect();
  }
}
