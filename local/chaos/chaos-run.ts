/**
 * The chaos run: steady load on the chaos stack instance while a seeded schedule of faults hits the
 * processes, the servers and the network; then drain and the exactly-once verification. Shared by
 * `npm run chaos` (long schedule) and tests/chaos/chaos.test.ts (short schedule).
 *
 * Each fault is measured on its own: it starts once the pipeline has caught up with the previous one,
 * and its recovery time runs from injection until the lag is back to its level before the fault.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import type { StackConfig, StackEndpoints } from '../config.js';
import { tailFile } from '../lib/proc.js';
import { fmt, PipelineRun, rssMiB, type RunSnapshot, type Verification } from '../pipeline-run.js';
import { scrapeMetric } from '../pipeline-processes.js';
import { stackUp } from '../stack.js';
import { BRIDGE_METRICS } from '../../workers/shared/metrics.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';
import {
  CHAOS_PORTS,
  acquireChaosLock,
  chaosStackDown,
  chaosStackKill,
  chaosStackKillSync,
  resetChaosState,
  serverRunning,
  startServer,
  stopServer,
  useChaosStack,
} from './chaos-stack.js';
import { seededRandom } from '../lib/seeded-random.js';
import { chaosSchedule, describeFault, type Fault, type ScheduleProfile } from './schedule.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly profile: ScheduleProfile;
  /** Events per second of the steady load. */
  readonly rate: number;
  readonly devices: number;
  readonly workers: number;
  /** Length of each backpressure outage (Postgres, Temporal). */
  readonly outageS: number;
  /** A fault that has not caught up after this long counts as not recovered. */
  readonly recoveryTimeoutS: number;
  readonly drainTimeoutS: number;
  /** Open batch workflows at which the bridge pauses (BRIDGE_MAX_OPEN_BATCHES). */
  readonly maxOpenBatches: number;
  readonly say: (line: string) => void;
  /** Checked between steps: SIGINT/SIGTERM end the schedule early, then drain and clean up. */
  readonly interrupted?: () => boolean;
}

export interface FaultOutcome {
  readonly fault: Fault;
  readonly target?: string;
  /** Seconds from injection until the fault was cleared (process back, server up, proxy normal). */
  readonly downtimeS: number;
  /** Seconds from injection until the lag was back to its level before the fault; undefined: never. */
  readonly recoveryS: number | undefined;
  readonly peakLag: number;
  readonly peakBridgeLag: number;
  readonly bridgePaused: boolean;
  readonly peakOpenBatches: number;
  readonly peakRssMiB: { bridge: number; worker: number };
}

export interface ChaosReport {
  readonly seed: number;
  readonly runId: string;
  readonly schedule: Fault[];
  readonly outcomes: FaultOutcome[];
  readonly unplannedExits: string[];
  readonly peakRssMiB: { bridge: number; worker: number };
  readonly verification: Verification | undefined;
  readonly drained: boolean;
  readonly simulatorError: string | undefined;
  readonly elapsedS: number;
  readonly ok: boolean;
}

interface Sample {
  readonly snap: RunSnapshot;
  /** Records of sensor-data not yet committed by the bridge (not yet in a batch workflow). */
  readonly bridgeLag: number | undefined;
  readonly paused: number;
  readonly openBatches: number;
  readonly rss: { bridge: number | undefined; worker: number | undefined };
}

type Server = 'kafka' | 'postgres' | 'temporal';
const SERVERS: readonly Server[] = ['postgres', 'kafka', 'temporal'];

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { say } = opts;
  const config = useChaosStack();
  const release = acquireChaosLock();
  // First signal: end the schedule, stop the load, clean up. Second: kill everything and leave.
  let signalled = false;
  let run: PipelineRun | undefined;
  const onSignal = (signal: string) => {
    if (signalled) {
      for (const p of run?.processes.values() ?? []) p.child.kill('SIGKILL');
      void chaosStackKill().finally(() => {
        release();
        process.exit(130);
      });
      return;
    }
    signalled = true;
    say(`\n${signal}: ending the schedule, stopping the load and the chaos stack (again to force)`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // A crash of this process skips every finally: still take the servers and the children down. It
  // stays installed after the run (a no-op then), since a stray child may outlive it.
  const onExit = () => {
    for (const p of run?.processes.values() ?? []) p.child.kill('SIGKILL');
    chaosStackKillSync();
  };
  process.on('exit', onExit);
  const withSignals: ChaosOptions = {
    ...opts,
    interrupted: () => signalled || (opts.interrupted?.() ?? false),
  };
  const runId = `c${Date.now().toString(36)}`;
  const schedule = chaosSchedule(opts.seed, { profile: opts.profile, outageS: opts.outageS });
  say(
    `chaos run ${runId}: seed ${opts.seed} (replay: --seed ${opts.seed}), ${opts.profile} schedule, ` +
      `${fmt(opts.rate)} events/s from ${fmt(opts.devices)} devices, ${opts.workers} worker(s)`,
  );
  for (const [i, f] of schedule.entries())
    say(`  ${String(i + 1).padStart(2)}. after ${f.pauseBeforeS} s: ${describeFault(f)}`);
  const started = Date.now();
  const proxies = {
    postgres: new TcpProxy({
      name: 'postgres',
      listenPort: CHAOS_PORTS.postgresProxy,
      targetPort: config.postgres.port.port,
    }),
    temporal: new TcpProxy({
      name: 'temporal',
      listenPort: CHAOS_PORTS.temporalProxy,
      targetPort: config.temporal.port.port,
    }),
  };
  try {
    say("fresh chaos stack instance: removing the previous run's server data");
    await resetChaosState();
    const ep = await stackUp(config);
    await proxies.postgres.start();
    await proxies.temporal.start();
    // The pipeline reaches Postgres and Temporal through the proxies; the checker goes direct.
    const viaProxies: StackEndpoints = {
      ...ep,
      postgres: { host: '127.0.0.1', port: proxies.postgres.port },
      temporalAddress: `127.0.0.1:${proxies.temporal.port}`,
    };
    run = await PipelineRun.start({
      ep,
      processEndpoints: viaProxies,
      runId,
      workers: opts.workers,
      devices: opts.devices,
      seed: opts.seed,
      malformedRate: 0.005,
      duplicateRate: 0.005,
      hotDevices: 3,
      metricsBasePort: CHAOS_PORTS.metricsBase,
      namePrefix: 'chaos-',
      env: {
        ALERT_ESCALATION: JSON.stringify({ tiersMs: [15_000, 30_000] }),
        BRIDGE_MAX_OPEN_BATCHES: String(opts.maxOpenBatches),
        // Two workers beside a second set of servers on a shared 2-core box: with the default slots
        // their workflow tasks outlast the 10 s task timeout and are redone (a congestion collapse
        // seen in the first chaos runs; see docs/reliability.md). Fewer slots keep tasks short.
        WORKER_MAX_WORKFLOW_TASKS: process.env.WORKER_MAX_WORKFLOW_TASKS ?? '4',
        WORKER_MAX_LOCAL_ACTIVITIES: process.env.WORKER_MAX_LOCAL_ACTIVITIES ?? '4',
        LOG_LEVEL: 'info',
      },
    });
    say(`bridge and ${opts.workers} worker(s) ready (logs: ${run.logFiles.join(', ')})`);
    return await execute(withSignals, config, run, proxies, runId, schedule, started);
  } finally {
    await run?.stopProcesses().catch(() => undefined);
    await run?.close();
    await proxies.postgres.close();
    await proxies.temporal.close();
    say('stopping the chaos stack instance');
    await chaosStackDown().catch((err: unknown) => say(`could not stop the chaos stack: ${String(err)}`));
    release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function execute(
  opts: ChaosOptions,
  config: StackConfig,
  run: PipelineRun,
  proxies: { postgres: TcpProxy; temporal: TcpProxy },
  runId: string,
  schedule: Fault[],
  started: number,
): Promise<ChaosReport> {
  const { say } = opts;
  const interrupted = () => opts.interrupted?.() ?? false;
  const samples: Sample[] = [];
  const unplannedExits: string[] = [];
  /** Processes being killed and restarted on purpose; the supervisor leaves them alone. */
  const planned = new Set<string>();
  const lastRelaunch = new Map<string, number>();
  let admin: Admin | undefined;
  let stopProducing = false;
  let stopMonitoring = false;
  let previous: RunSnapshot | undefined;

  const bridgeLag = async (): Promise<number | undefined> => {
    try {
      if (!admin) {
        admin = run.kafka.admin();
        await admin.connect();
      }
      const [committed] = await admin.fetchOffsets({
        groupId: BRIDGE_CONSUMER_GROUP,
        topics: [TOPICS.sensorData],
      });
      const ends = await admin.fetchTopicOffsets(TOPICS.sensorData);
      let lag = 0;
      for (const end of ends) {
        const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        lag += Number(end.high) - Math.max(0, Number(c));
      }
      return lag;
    } catch {
      await admin?.disconnect().catch(() => undefined);
      admin = undefined;
      return undefined;
    }
  };

  // A process that dies on its own is restarted as Kubernetes would (with a back-off) and reported.
  const supervise = async () => {
    // Ctrl-C reaches the children too (same process group): their exit is then no fault.
    if (interrupted()) return;
    for (const p of run.processes.values()) {
      if (planned.has(p.name) || (p.child.exitCode === null && p.child.signalCode === null)) continue;
      if (Date.now() - (lastRelaunch.get(p.name) ?? 0) < 5_000) continue;
      lastRelaunch.set(p.name, Date.now());
      const why = `${p.name} exited on its own (code ${p.child.exitCode}, signal ${p.child.signalCode}) at ${Math.round((Date.now() - started) / 1000)} s`;
      unplannedExits.push(why);
      say(`!! ${why}; restarting it. Log tail:\n${tailFile(p.logFile, 8)}`);
      planned.add(p.name);
      void run
        .relaunch(p.name)
        .catch((err: unknown) => say(`!! restart of ${p.name} failed: ${String(err)}`))
        .finally(() => planned.delete(p.name));
    }
  };

  const monitor: Promise<void> = (async () => {
    let tick = 0;
    while (!stopMonitoring) {
      await sampleOnce(tick++).catch((err: unknown) => say(`!! monitor: ${String(err)}`));
      await sleep(1000);
    }
  })();

  async function sampleOnce(tick: number): Promise<void> {
    const snap = await run.snapshot();
    const sample: Sample = {
      snap,
      bridgeLag: await bridgeLag(),
      paused: await scrapeMetric(run.bridge, BRIDGE_METRICS.pausedPartitions),
      openBatches: await scrapeMetric(run.bridge, BRIDGE_METRICS.inFlightBatches),
      rss: {
        bridge: rssMiB(run.bridge.child.pid),
        worker: Math.max(0, ...run.workers.map((w) => rssMiB(w.child.pid) ?? 0)) || undefined,
      },
    };
    samples.push(sample);
    await supervise();
    if (tick % 5 === 0) {
      say(
        `${run.statusLine(stopProducing ? 'drain' : 'chaos', snap, previous, started)}` +
          ` | bridge lag ${sample.bridgeLag === undefined ? '?' : fmt(sample.bridgeLag)}` +
          `${sample.paused > 0 ? ' PAUSED' : ''} | open batches ${fmt(sample.openBatches)}` +
          ` | rss bridge ${sample.rss.bridge?.toFixed(0) ?? '?'} MiB, worker ${sample.rss.worker?.toFixed(0) ?? '?'} MiB`,
      );
      previous = snap;
      await run.acknowledgeSome().catch(() => undefined);
    }
  }

  // A simulator that gives up leaves the run's accounting unsure (were its last records sent?): the
  // run fails rather than guess.
  let simulatorError: string | undefined;
  const producing = run
    .produce(opts.rate, Number.MAX_SAFE_INTEGER, () => stopProducing || interrupted())
    .catch((err: unknown) => {
      simulatorError = String(err);
      say(`!! the simulator stopped: ${simulatorError}`);
    });

  const lagOf = (s: Sample) =>
    s.snap.processed === undefined ? undefined : Math.max(0, s.snap.valid - s.snap.processed);
  const recent = (n: number) => samples.slice(-n);
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? 0;
  };

  const pick = seededRandom(opts.seed ^ 0x9e3779b9);
  const outcomes: FaultOutcome[] = [];
  let allRecovered = true;
  try {
    // Steady state first: the baseline lag of the first fault must not include the start-up (the
    // processes' first batches are slow), so wait until both lags are within two seconds of input.
    const warmupUntil = Date.now() + 120_000;
    await sleep(10_000);
    while (Date.now() < warmupUntil && !interrupted()) {
      const s = samples[samples.length - 1];
      const lag = s && lagOf(s);
      if (lag !== undefined && lag <= 2 * opts.rate && (s?.bridgeLag ?? Infinity) <= 2 * opts.rate) break;
      await sleep(1000);
    }
    for (const [i, fault] of schedule.entries()) {
      if (interrupted()) break;
      await sleep(fault.pauseBeforeS * 1000);
      const base = recent(5);
      const baseLag = median(base.map(lagOf).filter((v): v is number => v !== undefined));
      const baseBridgeLag = median(base.map((s) => s.bridgeLag).filter((v): v is number => v !== undefined));
      // Caught up: both lags back under twice their level before the fault, or two seconds of input.
      const lagBound = Math.max(2 * baseLag, 2 * opts.rate);
      const bridgeLagBound = Math.max(2 * baseBridgeLag, 2 * opts.rate);
      const firstSample = samples.length;
      const injectedAt = Date.now();
      say(`>> fault ${i + 1}/${schedule.length}: ${describeFault(fault)} (lag before: ${fmt(baseLag)})`);
      const target = await inject(fault);
      const clearedAt = Date.now();
      await ensureServers();
      let recoveredAt: number | undefined;
      while (Date.now() - injectedAt < opts.recoveryTimeoutS * 1000 && !interrupted()) {
        const s = samples[samples.length - 1];
        const lag = s && lagOf(s);
        if (
          s &&
          s.snap.at > clearedAt &&
          lag !== undefined &&
          lag <= lagBound &&
          s.bridgeLag !== undefined &&
          s.bridgeLag <= bridgeLagBound
        ) {
          recoveredAt = s.snap.at;
          break;
        }
        await sleep(500);
      }
      const episode = samples.slice(firstSample);
      const outcome: FaultOutcome = {
        fault,
        target,
        downtimeS: (clearedAt - injectedAt) / 1000,
        recoveryS: recoveredAt === undefined ? undefined : (recoveredAt - injectedAt) / 1000,
        peakLag: Math.max(0, ...episode.map((s) => lagOf(s) ?? 0)),
        peakBridgeLag: Math.max(0, ...episode.map((s) => s.bridgeLag ?? 0)),
        bridgePaused: episode.some((s) => s.paused > 0),
        peakOpenBatches: Math.max(0, ...episode.map((s) => s.openBatches)),
        peakRssMiB: {
          bridge: Math.max(0, ...episode.map((s) => s.rss.bridge ?? 0)),
          worker: Math.max(0, ...episode.map((s) => s.rss.worker ?? 0)),
        },
      };
      // A fault that Ctrl-C cut short is left out: its recovery was never waited for.
      if (interrupted()) break;
      outcomes.push(outcome);
      if (outcome.recoveryS === undefined) allRecovered = false;
      say(
        `<< ${describeFault(fault)}${target ? ` [${target}]` : ''}: down ${outcome.downtimeS.toFixed(1)} s, ` +
          `recovered ${outcome.recoveryS === undefined ? 'NOT within the timeout' : `in ${outcome.recoveryS.toFixed(1)} s`}, ` +
          `peak lag ${fmt(outcome.peakLag)} (bridge ${fmt(outcome.peakBridgeLag)})` +
          `${outcome.bridgePaused ? ', bridge paused' : ''}, peak open batches ${fmt(outcome.peakOpenBatches)}`,
      );
    }
    // Load continues a little after the last fault, so that it too is measured under steady input.
    await sleep(10_000);
  } catch (err) {
    // The background loops would otherwise keep restarting processes of a run that is over.
    stopMonitoring = true;
    throw err;
  } finally {
    stopProducing = true;
    await producing.catch(() => undefined);
  }

  const drainTimeoutS = interrupted() ? 0 : opts.drainTimeoutS;
  say(`simulator done: ${fmt(run.fleet.counts.produced)} records; draining (up to ${drainTimeoutS} s)`);
  const drained = await run.drain(
    drainTimeoutS,
    async () => {
      await ensureServers();
      return samples[samples.length - 1]?.snap ?? run.snapshot();
    },
    true,
  );
  stopMonitoring = true;
  await monitor.catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await run.stopProcesses((name, code) => say(`${name}: stopped (exit ${code})`));
  const verification = await run.verify();
  const peakRssMiB = {
    bridge: Math.max(0, ...samples.map((s) => s.rss.bridge ?? 0)),
    worker: Math.max(0, ...samples.map((s) => s.rss.worker ?? 0)),
  };
  const report: ChaosReport = {
    seed: opts.seed,
    runId,
    schedule,
    outcomes,
    unplannedExits,
    peakRssMiB,
    verification,
    drained,
    elapsedS: (Date.now() - started) / 1000,
    simulatorError,
    ok:
      verification.ok &&
      drained &&
      allRecovered &&
      simulatorError === undefined &&
      outcomes.length === schedule.length,
  };
  printReport(report, say);
  return report;

  /** Injects one fault and returns once it is cleared; names the process it hit, if any. */
  async function inject(fault: Fault): Promise<string | undefined> {
    const sleepS = (s: number) => sleep(s * 1000);
    switch (fault.kind) {
      case 'kill-worker':
      case 'kill-bridge': {
        const candidates = fault.kind === 'kill-bridge' ? [run.bridge] : run.workers;
        const victim = candidates[Math.floor(pick() * candidates.length)]!;
        planned.add(victim.name);
        try {
          await run.kill(victim.name);
          await run.relaunch(victim.name);
        } catch (err) {
          // A replacement that does not come up is the supervisor's to restart, and counts.
          unplannedExits.push(
            `${victim.name} did not come back after its kill: ${String(err).split('\n')[0]}`,
          );
        } finally {
          planned.delete(victim.name);
        }
        return victim.name;
      }
      case 'restart-kafka':
      case 'restart-postgres':
      case 'restart-temporal': {
        const server = fault.kind.slice('restart-'.length) as Server;
        await stopServer(server, fault.hard ?? false);
        await startServer(server, config);
        return server;
      }
      case 'outage-postgres':
      case 'outage-temporal': {
        const server = fault.kind.slice('outage-'.length) as Server;
        await stopServer(server, false);
        await sleepS(fault.durationS ?? 60);
        await startServer(server, config);
        return server;
      }
      case 'slow-postgres':
      case 'slow-temporal': {
        const proxy = fault.kind === 'slow-postgres' ? proxies.postgres : proxies.temporal;
        proxy.setMode({ kind: 'delay', ms: fault.latencyMs ?? 50 });
        await sleepS(fault.durationS ?? 20);
        proxy.setMode({ kind: 'pass' });
        return proxy.opts.name;
      }
      case 'stall-postgres':
        proxies.postgres.setMode({ kind: 'stall' });
        await sleepS(fault.durationS ?? 10);
        proxies.postgres.setMode({ kind: 'pass' });
        return 'postgres';
    }
  }

  /** A server that died on its own (Temporal losing its database, say) is reported and started again. */
  async function ensureServers(): Promise<void> {
    for (const server of SERVERS) {
      if (serverRunning(server)) continue;
      const why = `${server} server exited on its own at ${Math.round((Date.now() - started) / 1000)} s`;
      unplannedExits.push(why);
      say(`!! ${why}; starting it again`);
      await startServer(server, config);
    }
  }
}

function printReport(r: ChaosReport, say: (line: string) => void): void {
  say('');
  say(`chaos report of run ${r.runId} (seed ${r.seed}, ${r.elapsedS.toFixed(0)} s)`);
  say(
    '  fault                                         target          down s  recovery s  peak lag  bridge lag  paused  open  rss MiB b/w',
  );
  for (const o of r.outcomes) {
    say(
      `  ${describeFault(o.fault).padEnd(45)} ${(o.target ?? '').padEnd(15)} ${o.downtimeS.toFixed(1).padStart(6)}` +
        `  ${(o.recoveryS === undefined ? 'NONE' : o.recoveryS.toFixed(1)).padStart(10)}  ${fmt(o.peakLag).padStart(8)}` +
        `  ${fmt(o.peakBridgeLag).padStart(10)}  ${(o.bridgePaused ? 'yes' : 'no').padStart(6)}  ${fmt(o.peakOpenBatches).padStart(4)}` +
        `  ${o.peakRssMiB.bridge.toFixed(0)}/${o.peakRssMiB.worker.toFixed(0)}`,
    );
  }
  say(
    `  peak RSS over the run: bridge ${r.peakRssMiB.bridge.toFixed(0)} MiB, worker ${r.peakRssMiB.worker.toFixed(0)} MiB`,
  );
  say(`  unplanned exits: ${r.unplannedExits.length === 0 ? 'none' : r.unplannedExits.join('; ')}`);
  say(`  drained: ${r.drained ? 'yes' : 'NO'}`);
  if (r.simulatorError) say(`  the simulator failed: ${r.simulatorError}`);
  const v = r.verification;
  if (v) {
    say(`  alerts: ${v.alertLine}`);
    for (const c of v.checks) say(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  }
  say(r.ok ? `chaos check: OK (seed ${r.seed})` : `chaos check: FAILED (replay with --seed ${r.seed})`);
}
