/**
 * The pipeline under test, as `npm run local` runs it (local/pipeline-run.ts, the one runner): the
 * real bridge and worker processes on the local servers, bound to this run's own topics, consumer
 * group, task queue and database so that a bench never shares state with another run, a test or
 * `npm run local` on the same servers. What is the bench's own: the phases, their latencies and the
 * Temporal cost.
 */
import { join } from 'node:path';
import { Kafka, type Admin } from 'kafkajs';
import { loadStackConfig, kafkaClientConfig, type StackEndpoints } from '../local/config.js';
import { isolatedPipelineNames, type PipelineNames } from '../local/pipeline-names.js';
import { scrapeMetric } from '../local/pipeline-processes.js';
import { PipelineRun } from '../local/pipeline-run.js';
import { psql } from '../local/postgres.js';
import type { Check } from '../local/run-verification.js';
import { ensureTopics, pipelineTopicSpecs } from '../local/topics.js';
import type { TopicNames } from '../workers/config.js';
import { BRIDGE_METRICS } from '../workers/shared/metrics.js';
import { alertTaskQueue, ledgerRetentionScheduleId, WORKFLOW_TYPES } from '../workers/shared/temporal.js';
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
  readonly checks: Check[];
}

export interface OursPhase extends PhaseResult {
  /** Reading timestamp → SensorDataProcessed record's Kafka timestamp (set by the worker's producer), ms. */
  latencyMs?: Percentiles;
  latencySorted?: Float64Array;
  temporal?: TemporalCost;
}

export class PipelineUnderTest {
  readonly names: PipelineNames;
  private readonly kafka: Kafka;
  private admin!: Admin;
  private run: PipelineRun | undefined;

  /** The metrics port of each process, chosen free for this run. */
  portsLine(): string {
    return this.run?.portsLine() ?? '';
  }
  readonly phases: OursPhase[] = [];

  constructor(private readonly opts: OursOptions) {
    this.names = isolatedPipelineNames('bench', opts.runId);
    this.kafka = new Kafka(kafkaClientConfig(opts.ep, `bench-${opts.runId}`));
  }

  get topics(): TopicNames {
    return this.names.topics;
  }

  get taskQueue(): string {
    return this.names.taskQueue;
  }

  /** Creates the run's topics and database, then starts the workers and the bridge on them. */
  async start(): Promise<void> {
    const { ep, runId } = this.opts;
    await ensureTopics(ep.kafkaBrokers, pipelineTopicSpecs(this.topics, this.opts.partitions));
    await psql(loadStackConfig(), `CREATE DATABASE ${this.names.database} OWNER sensor_app`);
    this.admin = this.kafka.admin();
    await this.admin.connect();
    const profileDir = this.opts.profileDir;
    this.run = await PipelineRun.start({
      ep,
      runId,
      workers: this.opts.workers,
      names: this.names,
      namePrefix: `bench-${runId}-`,
      env: {
        LOG_LEVEL: 'info',
        ...(this.opts.batchSize ? { BRIDGE_MAX_BATCH_EVENTS: String(this.opts.batchSize) } : {}),
      },
      nodeArgs: (name) =>
        profileDir
          ? // One file per thread (main, loader hooks, workflow threads); the report ranks the busiest.
            ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, name.slice(`bench-${runId}-`.length))}`]
          : [],
    });
  }

  private get pipeline(): PipelineRun {
    if (!this.run) throw new Error('the pipeline under test has not started');
    return this.run;
  }

  logFiles(): string[] {
    return this.pipeline.logFiles;
  }

  async runPhase(plan: PhasePlan): Promise<OursPhase> {
    const index = this.phases.length;
    const run = this.pipeline;
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
        for (const p of run.processes.values()) {
          if (p.child.pid === undefined || p.child.exitCode !== null) continue;
          m.set(p.role === 'bridge' ? 'bridge' : p.name.slice(p.name.lastIndexOf('worker')), p.child.pid);
        }
        return m;
      },
      openBatches: () => scrapeMetric(run.bridge, BRIDGE_METRICS.inFlightBatches),
      failure: () => {
        const gone = [...run.processes.values()].find(
          (p) => p.child.exitCode !== null || p.child.signalCode !== null,
        );
        return gone
          ? `${gone.name} exited (${gone.child.exitCode ?? gone.child.signalCode}) mid-run; see ${gone.logFile}`
          : undefined;
      },
    });
    this.phases.push(result);
    return result;
  }

  /**
   * The exactly-once check over every phase (the runner's, without the per-device checks), and in
   * the same pass over the processed topic each measured phase's latency distribution.
   */
  async verify(): Promise<ExactlyOnce> {
    const latencies = this.phases.map(() => [] as number[]);
    const v = await this.pipeline.verify({
      deep: false,
      say: this.opts.phase.say,
      expected: {
        valid: this.phases.reduce((s, p) => s + p.fleet.valid, 0),
        malformed: this.phases.reduce((s, p) => s + p.fleet.malformed, 0),
        devices: this.phases.reduce((s, p) => s + Math.min(p.devicesUsed, p.fleet.valid), 0),
      },
      observe: (m) => {
        if (!m.value) return;
        const eventTime = (JSON.parse(m.value.toString()) as { eventTime: number }).eventTime;
        const i = this.phases.findIndex((p) => eventTime >= p.windowStart && eventTime < p.windowEnd);
        if (i >= 0) latencies[i]!.push(Number(m.timestamp) - eventTime);
      },
    });
    for (const [i, p] of this.phases.entries()) {
      const sorted = Float64Array.from(latencies[i]!);
      p.latencyMs = percentiles(sorted);
      p.latencySorted = sorted;
    }
    return { ok: v.ok, checks: v.checks };
  }

  /**
   * Temporal cost of a phase: the batch workflows started in its measured window (visibility query on
   * the run's task queue) and their history lengths, per 1,000 events processed in that window.
   */
  async temporalCost(phase: OursPhase, sampleLimit = 5000): Promise<TemporalCost> {
    const client = this.pipeline.temporal;
    const iso = (ms: number) => new Date(ms).toISOString();
    const window = `StartTime >= '${iso(phase.windowStart)}' AND StartTime < '${iso(phase.windowEnd)}'`;
    const inWindow = `TaskQueue = '${this.taskQueue}' AND ${window}`;
    const batches = await client.workflow.count(
      `${inWindow} AND WorkflowType = '${WORKFLOW_TYPES.processSensorBatch}'`,
    );
    const alerts = await client.workflow.count(
      `TaskQueue = '${alertTaskQueue(this.taskQueue)}' AND ${window} AND WorkflowType = '${WORKFLOW_TYPES.deviceAlert}'`,
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
    const run = this.run;
    if (run) {
      await run.stopProcesses();
      if (!keep) {
        // The workers keep a ledger retention schedule per task queue; this run's queue ends here.
        await run.temporal.schedule
          .getHandle(ledgerRetentionScheduleId(this.taskQueue))
          .delete()
          .catch(() => undefined);
        // Alert workflows wait for an operator; nobody will come for a bench run's devices.
        for await (const wf of run.temporal.workflow.list({
          query: `TaskQueue IN ('${this.taskQueue}', '${alertTaskQueue(this.taskQueue)}') AND ExecutionStatus = 'Running'`,
        })) {
          await run.temporal.workflow
            .getHandle(wf.workflowId, wf.runId)
            .terminate('bench run finished')
            .catch(() => undefined);
        }
      }
      await run.close();
    }
    if (!keep) {
      await this.admin?.deleteTopics({ topics: Object.values(this.topics) }).catch(() => undefined);
      await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${this.names.database} WITH (FORCE)`).catch(
        () => undefined,
      );
    }
    await this.admin?.disconnect();
  }
}
