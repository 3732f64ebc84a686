/**
 * The two baselines, on the same servers right after the pipeline's phases:
 *  - naive: one workflow per event with ordinary activities (bench/naive), fed above its maximum so
 *    that what it completes per second is its maximum;
 *  - ceiling: a raw kafkajs pass-through (bench/ceiling) draining a preloaded backlog, alone on the
 *    machine, so that nothing but Kafka and the client bounds it.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import { kafkaClientConfig, loadStackConfig, type StackEndpoints } from '../local/config.js';
import { psql } from '../local/postgres.js';
import { ensureTopics, pipelineTopicSpecs } from '../local/topics.js';
import { prefixedTopics } from '../workers/shared/topics.js';
import type { TopicNames } from '../workers/config.js';
import { connectTemporal } from '../workers/lib/temporal-client.js';
import { TEMPORAL_NAMESPACE } from '../workers/shared/temporal.js';
import type { PassthroughSpec } from './ceiling/passthrough-process.js';
import { startChild, stopChild, type BenchChild } from './child.js';
import type { NaiveStarterSpec } from './naive/starter-process.js';
import type { NaiveWorkerSpec } from './naive/worker-process.js';
import type { BenchOptions } from './options.js';
import { runPhase, serverRoots, type PhaseEnv } from './phase.js';
import { UsageRecorder, type RoleUsage } from './proc-stats.js';
import type { PhaseSample } from './stats.js';
import { formatCount } from '../local/lib/format.js';

export interface BaselineResult {
  readonly name: 'naive' | 'ceiling';
  readonly eventsPerMinute: number;
  readonly processedPerS: number;
  /** Input rate offered (naive) or records preloaded (ceiling). */
  readonly offered: number;
  readonly windowS: number;
  readonly samples: PhaseSample[];
  readonly usage: Record<string, RoleUsage>;
  readonly machineBusyCores: number;
  /** False when the baseline kept up with its input: then the figure is a lower bound of its max. */
  readonly saturated: boolean;
}

export interface BaselineContext {
  readonly runId: string;
  readonly logDirectory: string;
  readonly sampleMs: number;
  readonly say: (line: string) => void;
}

const HERE = import.meta.dirname;

function phaseEnv(
  opts: BenchOptions,
  ctx: BaselineContext,
  admin: PhaseEnv['admin'],
  ep: StackEndpoints,
): Omit<PhaseEnv, 'inputTopic' | 'outputTopic' | 'processes' | 'devicePrefix'> {
  return {
    admin,
    brokers: ep.kafkaBrokers,
    devices: opts.devices,
    producers: 1,
    compression: opts.compression,
    seed: opts.seed + 1000,
    malformedRate: 0.002,
    duplicateRate: 0,
    hotDevices: 0,
    logDirectory: ctx.logDirectory,
    sampleMs: ctx.sampleMs,
    drainTimeoutS: 0,
    lagBoundS: opts.lagBoundS,
    say: ctx.say,
  };
}

/**
 * A few workflows before the measured window, so that it does not include the worker's first-task
 * costs (isolates, pollers, connection pools): on a busy machine those alone take longer than a
 * short window.
 */
async function primeNaive(ep: StackEndpoints, taskQueue: string, ctx: BaselineContext): Promise<void> {
  const started = Date.now();
  const { connection, client } = await connectTemporal({
    address: ep.temporalAddress,
    namespace: TEMPORAL_NAMESPACE,
    taskQueue,
  });
  try {
    await Promise.all(
      Array.from({ length: 3 }, (_, i) => {
        const eventId = `${ctx.runId}-prime-${i}`;
        const event = {
          schemaVersion: 1,
          eventId,
          deviceId: `${ctx.runId}-prime`,
          timestamp: Date.now(),
          readings: { temperature: 20, humidity: 50, pressure: 1000, battery: 90 },
          source: { partition: 0, offset: String(i) },
        };
        return client.workflow.execute('processOneEvent', {
          taskQueue,
          workflowId: `naive:${eventId}`,
          args: [event],
          workflowExecutionTimeout: '120s',
        });
      }),
    );
  } finally {
    await connection.close();
  }
  ctx.say(`naive baseline: worker primed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function runNaive(
  ep: StackEndpoints,
  opts: BenchOptions,
  ctx: BaselineContext,
): Promise<BaselineResult> {
  const id = `bench.${ctx.runId}.naive`;
  const topics: TopicNames = prefixedTopics(id);
  const taskQueue = `bench-${ctx.runId}-naive`;
  const database = `bench_${ctx.runId.toLowerCase()}_naive`;
  await ensureTopics(ep.kafkaBrokers, pipelineTopicSpecs(topics, opts.partitions));
  await psql(loadStackConfig(), `CREATE DATABASE ${database} OWNER sensor_app`);
  const kafka = new Kafka(kafkaClientConfig(ep, `bench-${ctx.runId}-naive`));
  const admin = kafka.admin();
  await admin.connect();
  const children: BenchChild[] = [];
  try {
    const workerSpec: NaiveWorkerSpec = {
      brokers: ep.kafkaBrokers,
      temporalAddress: ep.temporalAddress,
      taskQueue,
      databaseUrl: `postgres://sensor_app:sensor_app@${ep.postgres.host}:${ep.postgres.port}/${database}`,
      topics,
    };
    const starterSpec: NaiveStarterSpec = {
      brokers: ep.kafkaBrokers,
      temporalAddress: ep.temporalAddress,
      taskQueue,
      topic: topics.sensorData,
      groupId: `bench-${ctx.runId}-naive`,
      partitions: opts.partitions,
      concurrency: 120,
    };
    children.push(
      startChild('naive-worker', join(HERE, 'naive', 'worker-process.ts'), workerSpec, ctx.logDirectory),
    );
    children.push(
      startChild('naive-starter', join(HERE, 'naive', 'starter-process.ts'), starterSpec, ctx.logDirectory),
    );
    await Promise.all(children.map((c) => c.ready));
    await primeNaive(ep, taskQueue, ctx);
    // Well above what one workflow per event completes on this machine (ARCHITECTURE: 2-3k/min).
    const rate = opts.quick ? 200 : 600;
    ctx.say(`naive baseline: one workflow per event, offered ${rate} events/s for ${opts.baselineS} s`);
    const phase = await runPhase(
      {
        name: 'naive',
        rate,
        durationS: opts.baselineS,
        warmupS: Math.min(10, opts.baselineS / 4),
        drain: false,
        minOutput: { records: opts.quick ? 20 : 100, maxExtraS: opts.quick ? 60 : 120 },
      },
      {
        ...phaseEnv(opts, ctx, admin, ep),
        inputTopic: topics.sensorData,
        outputTopic: topics.processed,
        devicePrefix: `${ctx.runId}-naive`,
        processes: () => new Map(children.map((c) => [c.name, c.child.pid!])),
        failure: () => {
          const gone = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
          return gone ? `${gone.name} exited mid-run; see ${gone.logFile}` : undefined;
        },
      },
    );
    return {
      name: 'naive',
      eventsPerMinute: phase.eventsPerMinute,
      processedPerS: phase.processedPerS,
      offered: rate,
      windowS: (phase.windowEnd - phase.windowStart) / 1000,
      samples: phase.samples,
      usage: phase.usage,
      machineBusyCores: phase.machineBusyCores,
      saturated: !phase.verdict.bounded,
    };
  } finally {
    await Promise.all([...children].reverse().map((c) => stopChild(c)));
    const temporal = await connectTemporal({
      address: ep.temporalAddress,
      namespace: TEMPORAL_NAMESPACE,
      taskQueue,
    });
    // The starter's in-flight workflows stay open when it stops; a finished baseline leaves none behind.
    for await (const wf of temporal.client.workflow.list({
      query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    }))
      await temporal.client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('bench baseline finished')
        .catch(() => undefined);
    await temporal.connection.close();
    if (!opts.keep) {
      await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
      await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(
        () => undefined,
      );
    }
    await admin.disconnect();
  }
}

/** Sampling period of the ceiling's drain (CPU figures and plot; the rate has its own clock). */
const CEILING_SAMPLE_MS = 100;

export async function runCeiling(
  ep: StackEndpoints,
  opts: BenchOptions,
  ctx: BaselineContext,
): Promise<BaselineResult> {
  const input = `bench.${ctx.runId}.ceiling.in`;
  const output = `bench.${ctx.runId}.ceiling.out`;
  await ensureTopics(ep.kafkaBrokers, [
    { topic: input, partitions: opts.partitions },
    { topic: output, partitions: opts.partitions },
  ]);
  const kafka = new Kafka(kafkaClientConfig(ep, `bench-${ctx.runId}-ceiling`));
  const admin = kafka.admin();
  await admin.connect();
  let child: BenchChild | undefined;
  try {
    ctx.say(`ceiling baseline: preloading ${formatCount(opts.ceilingRecords)} records`);
    const preload = await runPhase(
      {
        name: 'ceiling-preload',
        rate: null,
        durationS: 900,
        warmupS: 0,
        maxRecords: opts.ceilingRecords,
        drain: false,
      },
      {
        ...phaseEnv(opts, ctx, admin, ep),
        producers: Math.max(1, opts.producers),
        inputTopic: input,
        outputTopic: output,
        devicePrefix: `${ctx.runId}-ceiling`,
        processes: () => new Map(),
      },
    );
    const records = preload.fleet.produced;
    const spec: PassthroughSpec = {
      brokers: ep.kafkaBrokers,
      input,
      output,
      groupId: `bench-${ctx.runId}-ceiling`,
      partitions: opts.partitions,
    };
    child = startChild(
      'ceiling-passthrough',
      join(HERE, 'ceiling', 'passthrough-process.ts'),
      spec,
      ctx.logDirectory,
    );
    await child.ready;
    ctx.say(
      `ceiling baseline: kafkajs pass-through (consume, parse, produce) draining it, up to ${opts.baselineS} s`,
    );
    const roots = new Map([...serverRoots(), ['passthrough', child.child.pid!]]);
    const live = new UsageRecorder(roots);
    const measured = new UsageRecorder(roots);
    const samples: PhaseSample[] = [];
    const startedAt = Date.now();
    live.sample();
    // Sampled finely: a fast machine drains the backlog in well under a second. The rate comes from
    // the pass-through's own clock (first record fetched → last send acknowledged), so it holds
    // whatever the machine's speed; the samples only feed the CPU figures and the plot.
    let windowOpen: number | undefined;
    let lastSaid = -Infinity;
    while (Date.now() - startedAt < opts.baselineS * 1000 + 30_000) {
      await sleep(CEILING_SAMPLE_MS);
      const now = Date.now();
      const snapshot = live.snapshot();
      live.sample(snapshot);
      const processed = child.counts.passed ?? 0;
      // Malformed records (the fleet's share) are parsed and dropped, never passed on.
      const consumed = processed + (child.counts.malformed ?? 0);
      const sample: PhaseSample = {
        t: (now - startedAt) / 1000,
        produced: records,
        processed,
        openBatches: 0,
        cores: live.current(),
      };
      samples.push(sample);
      if (windowOpen === undefined && processed > 0) windowOpen = sample.t;
      if (windowOpen !== undefined) measured.sample(snapshot);
      const done =
        consumed >= records || (windowOpen !== undefined && sample.t - windowOpen >= opts.baselineS);
      if (done || now - lastSaid >= ctx.sampleMs) {
        lastSaid = now;
        ctx.say(
          `[${sample.t.toFixed(1).padStart(6)}s ceiling] passed ${formatCount(processed)}` +
            ` | left ${formatCount(Math.max(0, records - consumed))} | cpu ${Math.round(sample.cores.machine! * 100)}%:` +
            ` kafka ${Math.round((sample.cores.kafka ?? 0) * 100)} passthrough ${Math.round((sample.cores.passthrough ?? 0) * 100)}`,
        );
      }
      if (done) break;
    }
    const { passed = 0, firstAtMs = 0, lastAtMs = 0 } = child.counts;
    const windowS = lastAtMs > firstAtMs ? (lastAtMs - firstAtMs) / 1000 : 0;
    const processedPerS = windowS > 0 ? passed / windowS : 0;
    return {
      name: 'ceiling',
      eventsPerMinute: processedPerS * 60,
      processedPerS,
      offered: records,
      windowS,
      samples,
      usage: measured.usage(live),
      machineBusyCores: measured.machineBusyCores(live),
      // Draining a backlog runs at the maximum by construction; a drain cut off by the time limit too.
      saturated: passed > 0,
    };
  } finally {
    if (child) await stopChild(child);
    if (!opts.keep) await admin.deleteTopics({ topics: [input, output] }).catch(() => undefined);
    await admin.disconnect();
  }
}

export async function runBaselines(
  ep: StackEndpoints,
  opts: BenchOptions,
  ctx: BaselineContext,
): Promise<{ naive: BaselineResult; ceiling: BaselineResult }> {
  const naive = await runNaive(ep, opts, ctx);
  const ceiling = await runCeiling(ep, opts, ctx);
  return { naive, ceiling };
}
