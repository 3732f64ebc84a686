/**
 * One measured phase of any system under test: simulators produce at a rate for a duration while a
 * sampler records every few seconds what was produced, what reached the output topic, the open
 * batches and each process's CPU and RSS, and prints it as one progress line. The phase then waits
 * for the output to catch up (drain) so that the next phase starts from an empty pipeline.
 */
import type { Admin } from 'kafkajs';
import type { ProducerCodec } from '../workers/lib/kafka-codecs.js';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { daemonPid } from '../local/lib/proc.js';
import type { FleetCounts, FleetOptions } from '../local/simulator/fleet.js';
import { startChild, stopChild, type BenchChild } from './child.js';
import { UsageRecorder, type RoleUsage } from './proc-stats.js';
import type { SimulatorSpec } from './simulator-process.js';
import { boundedVerdict, windowRate, type BoundedVerdict, type PhaseSample } from './stats.js';
import { formatCount } from '../local/lib/format.js';

const SIMULATOR_ENTRY = join(import.meta.dirname, 'simulator-process.ts');

export interface PhasePlan {
  readonly name: string;
  /** Events per second; null: as fast as the producers go (a backlog for a drain measurement). */
  readonly rate: number | null;
  readonly durationS: number;
  readonly warmupS: number;
  /** Records to preload (with rate null). */
  readonly maxRecords?: number;
  /** Wait for the output to catch up after producing (default); off for a baseline left overloaded. */
  readonly drain?: boolean;
  /**
   * A saturated system that completes little per second (the naive baseline on a busy machine) keeps
   * being measured after the input stops, on its backlog, until the window holds this many outputs.
   */
  readonly minOutput?: { readonly records: number; readonly maxExtraS: number };
}

export interface PhaseEnv {
  readonly admin: Admin;
  readonly brokers: string[];
  readonly inputTopic: string;
  readonly outputTopic: string;
  /** Device IDs of this phase start with `${devicePrefix}`; eventIds are unique per phase. */
  readonly devicePrefix: string;
  readonly devices: number;
  readonly producers: number;
  readonly compression: ProducerCodec;
  readonly seed: number;
  readonly malformedRate: number;
  readonly duplicateRate: number;
  readonly hotDevices: number;
  /** Processes under test by role (bridge, worker-0, ...): sampled with the servers and simulators. */
  readonly processes: () => Map<string, number>;
  readonly openBatches?: () => Promise<number>;
  /** Why the system under test can no longer process (a process exited), or undefined. */
  readonly failure?: () => string | undefined;
  readonly logDirectory: string;
  readonly sampleMs: number;
  readonly drainTimeoutS: number;
  readonly lagBoundS: number;
  /** Lag below this many seconds of input is batching's swing, not a trend (boundedVerdict). */
  readonly lagNoiseFloorS?: number;
  readonly say: (line: string) => void;
}

export interface PhaseResult {
  readonly name: string;
  readonly targetRate: number | null;
  readonly durationS: number;
  readonly warmupS: number;
  readonly startedAt: number;
  readonly windowStart: number;
  readonly windowEnd: number;
  /** Every sample of the phase, t in seconds since its start (the plots' time series). */
  readonly samples: PhaseSample[];
  /** Valid events per second produced and output records per second, over the measured window. */
  readonly producedPerS: number;
  readonly processedPerS: number;
  readonly eventsPerMinute: number;
  readonly verdict: BoundedVerdict;
  readonly usage: Record<string, RoleUsage>;
  readonly machineBusyCores: number;
  readonly fleet: FleetCounts;
  /** Highest per-device count, for the exactly-once check's device-state expectation. */
  readonly devicesUsed: number;
  readonly drainedS: number;
  readonly drained: boolean;
}

export async function outputCount(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high), 0);
}

/** The local servers' process trees; a server that is down is left out. */
export function serverRoots(): Map<string, number> {
  const roots = new Map<string, number>();
  for (const name of ['kafka', 'temporal', 'postgres']) {
    const pid = daemonPid(name);
    if (pid !== undefined) roots.set(name, pid);
  }
  return roots;
}

const fmt = (n: number) => formatCount(n, '-');

export async function runPhase(plan: PhasePlan, env: PhaseEnv): Promise<PhaseResult> {
  const sims: BenchChild[] = [];
  const perProducer = Math.max(1, Math.floor(env.devices / env.producers));
  for (let i = 0; i < env.producers; i++) {
    const fleet: FleetOptions = {
      runId: `${env.devicePrefix}p${i}`,
      devices: perProducer,
      seed: env.seed + i,
      malformedRate: env.malformedRate,
      duplicateRate: env.duplicateRate,
      hotDevices: i === 0 ? env.hotDevices : 0,
    };
    const spec: SimulatorSpec = {
      brokers: env.brokers,
      topic: env.inputTopic,
      fleet,
      rate: plan.rate === null ? null : plan.rate / env.producers,
      durationMs: plan.durationS * 1000,
      maxRecords: plan.maxRecords !== undefined ? Math.ceil(plan.maxRecords / env.producers) : undefined,
      compression: env.compression,
    };
    sims.push(startChild(`sim-${plan.name}-${i}`, SIMULATOR_ENTRY, spec, env.logDirectory));
  }
  try {
    await Promise.all(sims.map((s) => s.ready));
  } catch (err) {
    await Promise.all(sims.map((s) => stopChild(s)));
    throw err;
  }

  const roots = new Map([...serverRoots(), ...env.processes()]);
  sims.forEach((s, i) => roots.set(`simulator-${i}`, s.child.pid!));
  const usage = new UsageRecorder(roots);
  // CPU and RSS figures cover the measured window only; `usage` drives the live line.
  const measured = new UsageRecorder(roots);
  const outputStart = await outputCount(env.admin, env.outputTopic);
  const produced = () => sims.reduce((sum, s) => sum + (s.counts.valid ?? 0), 0);
  const samples: PhaseSample[] = [];
  const startedAt = Date.now();
  usage.sample();
  for (const s of sims) s.send({ type: 'go' });
  const allDone = Promise.all(sims.map((s) => s.done));
  let producing = true;
  void allDone.then(
    () => (producing = false),
    () => (producing = false),
  );

  const take = async (stage: string) => {
    const failure = env.failure?.();
    if (failure) {
      await Promise.all(sims.map((s) => stopChild(s)));
      throw new Error(`phase ${plan.name}: ${failure}`);
    }
    const now = Date.now();
    const snapshot = usage.snapshot();
    usage.sample(snapshot);
    if (stage === 'run' && now - startedAt >= plan.warmupS * 1000) measured.sample(snapshot);
    const sample: PhaseSample = {
      t: (now - startedAt) / 1000,
      produced: produced(),
      processed: (await outputCount(env.admin, env.outputTopic)) - outputStart,
      openBatches: env.openBatches ? await env.openBatches() : 0,
      cores: usage.current(),
    };
    const prev = samples[samples.length - 1];
    samples.push(sample);
    const dt = prev ? sample.t - prev.t : sample.t;
    const lag = Math.max(0, sample.produced - sample.processed);
    const c = sample.cores;
    const sim = Object.entries(c)
      .filter(([k]) => k.startsWith('simulator'))
      .reduce((sum, [, v]) => sum + v, 0);
    const worker = Object.entries(c)
      .filter(([k]) => k.startsWith('worker'))
      .reduce((sum, [, v]) => sum + v, 0);
    const pct = (v: number | undefined) => String(Math.round((v ?? 0) * 100));
    env.say(
      `[${sample.t.toFixed(0).padStart(4)}s ${plan.name} ${stage}] produced ${fmt((sample.produced - (prev?.produced ?? 0)) / dt)}/s` +
        ` | processed ${fmt((sample.processed - (prev?.processed ?? 0)) / dt)}/s | lag ${fmt(lag)}` +
        (plan.rate ? ` (${(lag / plan.rate).toFixed(1)} s)` : '') +
        ` | open batches ${fmt(sample.openBatches)} | cpu ${pct(c.machine)}%: kafka ${pct(c.kafka)} temporal ${pct(c.temporal)}` +
        ` pg ${pct(c.postgres)} bridge ${pct(c.bridge)} worker ${pct(worker)} sim ${pct(sim)}`,
    );
    return sample;
  };

  while (producing) {
    await Promise.race([sleep(env.sampleMs), allDone.catch(() => undefined)]);
    await take('run');
  }
  if (plan.minOutput) {
    const until = Date.now() + plan.minOutput.maxExtraS * 1000;
    const from = samples.find((x) => x.t >= plan.warmupS)?.processed ?? 0;
    while (Date.now() < until && samples[samples.length - 1]!.processed - from < plan.minOutput.records) {
      await sleep(env.sampleMs);
      await take('run');
    }
  }
  const fleetCounts = (await allDone).reduce<FleetCounts>(
    (sum, c) => ({
      produced: sum.produced + (c.produced ?? 0),
      valid: sum.valid + (c.valid ?? 0),
      duplicates: sum.duplicates + (c.duplicates ?? 0),
      malformed: sum.malformed + (c.malformed ?? 0),
      hotReadings: sum.hotReadings + (c.hotReadings ?? 0),
    }),
    { produced: 0, valid: 0, duplicates: 0, malformed: 0, hotReadings: 0 },
  );
  const producedFor = samples[samples.length - 1]?.t ?? 0;
  // The measured window: after warm-up, until the producers stopped.
  const runSamples = samples.filter((s) => s.t <= producedFor);
  const afterWarmup = runSamples.filter((s) => s.t >= plan.warmupS);
  // A busy machine may stretch the sampling interval: keep at least two samples to measure between.
  const window = afterWarmup.length >= 2 ? afterWarmup : runSamples.slice(-2);
  const windowStart = startedAt + (window[0]?.t ?? 0) * 1000;
  const windowEnd = startedAt + producedFor * 1000;
  const producedPerS = windowRate(window, 'produced');
  const processedPerS = windowRate(window, 'processed');
  const verdict = boundedVerdict(window, plan.rate ?? producedPerS, env.lagBoundS, env.lagNoiseFloorS);
  const phaseUsage = measured.usage(usage);
  const machineBusyCores = measured.machineBusyCores(usage);

  const drainStart = Date.now();
  let drained = false;
  while (plan.drain !== false && Date.now() - drainStart < env.drainTimeoutS * 1000) {
    await sleep(env.sampleMs);
    const s = await take('drain');
    // The processed count includes redelivered duplicates: drained means no batch is open either.
    if (s.processed >= fleetCounts.valid && s.openBatches === 0) {
      drained = true;
      break;
    }
  }
  return {
    name: plan.name,
    targetRate: plan.rate,
    durationS: plan.durationS,
    warmupS: plan.warmupS,
    startedAt,
    windowStart,
    windowEnd,
    samples,
    producedPerS,
    processedPerS,
    eventsPerMinute: processedPerS * 60,
    verdict,
    usage: phaseUsage,
    machineBusyCores,
    fleet: fleetCounts,
    devicesUsed: perProducer * env.producers,
    drainedS: (Date.now() - drainStart) / 1000,
    drained,
  };
}
