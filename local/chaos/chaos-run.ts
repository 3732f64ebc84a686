/**
 * The chaos run: steady load on the chaos stack instance while a seeded schedule of faults hits the
 * processes, the servers and the network; then drain and the exactly-once verification. Shared by
 * `npm run chaos` (long schedule) and tests/chaos/chaos.test.ts (short schedule).
 *
 * Each fault is measured on its own: it starts once the pipeline has caught up with the previous one,
 * and its recovery time runs from injection until the lag is back to its level before the fault.
 * Sampling and supervision are supervisor.ts's, the faults themselves fault-injector.ts's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackConfig, StackEndpoints } from '../config.js';
import { fmt, PipelineRun } from '../pipeline-run.js';
import { describeOutcome, printReport, type ChaosReport, type FaultOutcome } from './chaos-report.js';
import { stackUp } from '../stack.js';
import {
  CHAOS_PORTS,
  acquireChaosLock,
  chaosStackDown,
  chaosStackKill,
  chaosStackKillSync,
  resetChaosState,
  useChaosStack,
} from './chaos-stack.js';
import { seededRandom } from '../lib/seeded-random.js';
import { injectFault, type FaultTargets } from './fault-injector.js';
import {
  chaosSchedule,
  describeFault,
  type Fault,
  type FaultKind,
  type ScheduleProfile,
} from './schedule.js';
import { ChaosSupervisor, lagOf, median } from './supervisor.js';
import { LOCAL_ALERTING, RunObservability } from '../run-observability.js';
import { DEVICE_ALERT_NAME } from '../../workers/shared/alert-rules.js';
import { alertsDuring } from './chaos-report.js';
import { TcpProxy } from './tcp-proxy.js';

export interface ChaosOptions {
  readonly seed: number;
  readonly profile: ScheduleProfile;
  /** These faults instead of the profile's (their order still drawn from the seed). */
  readonly kinds?: readonly FaultKind[];
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
  /**
   * Workflow task and local activity slots per worker (WORKER_MAX_WORKFLOW_TASKS and
   * WORKER_MAX_LOCAL_ACTIVITIES). Two workers beside a second set of servers on a shared 2-core box:
   * with the default slots their workflow tasks outlast the 10 s task timeout and are redone (a
   * congestion collapse seen in the first chaos runs; see docs/reliability.md). 4 keeps tasks short.
   */
  readonly workerSlots: number;
  readonly say: (line: string) => void;
  /** Checked between steps: SIGINT/SIGTERM end the schedule early, then drain and clean up. */
  readonly interrupted?: () => boolean;
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const { say } = opts;
  const config = useChaosStack();
  const release = acquireChaosLock();
  // First signal: end the schedule, stop the load, clean up. Second: kill everything and leave.
  let signalled = false;
  let run: PipelineRun | undefined;
  let observability: RunObservability | undefined;
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
  const schedule = chaosSchedule(opts.seed, {
    profile: opts.profile,
    outageS: opts.outageS,
    kinds: opts.kinds,
  });
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
      // In front of the pooler, as the workers reach Postgres through it (local/pgbouncer.ts).
      targetPort: config.postgres.poolerPort.port,
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
      postgresPooler: { host: '127.0.0.1', port: proxies.postgres.port },
      temporalAddress: `127.0.0.1:${proxies.temporal.port}`,
    };
    observability = await RunObservability.prepare(config);
    run = await PipelineRun.start({
      ep,
      processEndpoints: viaProxies,
      runId,
      workers: opts.workers,
      fleet: {
        devices: opts.devices,
        seed: opts.seed,
        malformedRate: 0.005,
        duplicateRate: 0.005,
        hotDevices: 3,
      },
      namePrefix: 'chaos-',
      env: {
        // Tiers shorter than a hot device's 20 s above the threshold: an unacknowledged alert
        // escalates twice, and the escalations reach the tiers' receivers through Alertmanager.
        ALERT_ESCALATION: JSON.stringify({ tiersMs: [5_000, 10_000] }),
        ...observability.processEnv,
        BRIDGE_MAX_OPEN_BATCHES: String(opts.maxOpenBatches),
        WORKER_MAX_WORKFLOW_TASKS: String(opts.workerSlots),
        WORKER_MAX_LOCAL_ACTIVITIES: String(opts.workerSlots),
        LOG_LEVEL: 'info',
      },
    });
    say(`bridge and ${opts.workers} worker(s) ready (logs: ${run.logFiles.join(', ')})`);
    say(`metrics ports (chosen free for this run): ${run.portsLine()}`);
    await observability.watch(ep, run, opts.rate);
    say(`prometheus evaluates the alerting rules on this run: ${observability.prometheus.url}/api/v1/alerts`);
    return await execute(withSignals, config, run, observability, proxies, runId, schedule, started);
  } finally {
    await observability?.stop().catch(() => undefined);
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
  observability: RunObservability,
  proxies: { postgres: TcpProxy; temporal: TcpProxy },
  runId: string,
  schedule: Fault[],
  started: number,
): Promise<ChaosReport> {
  const { say } = opts;
  const interrupted = () => opts.interrupted?.() ?? false;
  let stopProducing = false;
  const supervisor = new ChaosSupervisor({
    run,
    config,
    started,
    say,
    interrupted,
    draining: () => stopProducing,
  });
  supervisor.start();

  // A simulator that gives up leaves the run's accounting unsure (were its last records sent?): the
  // run fails rather than guess.
  let simulatorError: string | undefined;
  const producing = run
    .produce(opts.rate, Number.MAX_SAFE_INTEGER, () => stopProducing || interrupted())
    .catch((err: unknown) => {
      simulatorError = String(err);
      say(`!! the simulator stopped: ${simulatorError}`);
    });

  const targets: FaultTargets = {
    run,
    config,
    proxies,
    supervisor,
    pick: seededRandom(opts.seed ^ 0x9e3779b9),
  };
  const outcomes: FaultOutcome[] = [];
  try {
    await steadyState(opts.rate, supervisor, interrupted);
    for (const [i, fault] of schedule.entries()) {
      if (interrupted()) break;
      await sleep(fault.pauseBeforeS * 1000);
      const outcome = await measureFault(fault, `${i + 1}/${schedule.length}`, opts, targets, interrupted);
      // A fault that Ctrl-C cut short is left out: its recovery was never waited for.
      if (interrupted()) break;
      outcomes.push(outcome);
      say(describeOutcome(outcome));
    }
    // Load continues a little after the last fault, so that it too is measured under steady input.
    await sleep(10_000);
  } catch (err) {
    // The background loop would otherwise keep restarting processes of a run that is over.
    await supervisor.stop();
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
      await supervisor.ensureServers();
      return supervisor.latest()?.snap ?? run.snapshot();
    },
    true,
  );
  await supervisor.stop();
  // The alerts before the processes stop: their exit is not a fault of the schedule.
  await observability.timeline.stop();
  const scrapeTargets = await observability.prometheus.targets().catch(() => []);
  await run.stopProcesses((name, code) => say(`${name}: stopped (exit ${code})`));
  say(`checking exactly-once over ${fmt(run.fleet.counts.valid)} valid events`);
  const verification = await run.verify({ say });
  // Notifications reach the webhook a moment after Alertmanager receives the alerts.
  const notifications = await escalationsNotified(observability, verification.escalationLevels);
  const samples = supervisor.samples;
  const report: ChaosReport = {
    seed: opts.seed,
    runId,
    schedule,
    outcomes: outcomes.map((o, i) => ({
      ...o,
      alerts: alertsDuring(observability.timeline, o.injectedAt, outcomes[i + 1]?.injectedAt ?? Date.now()),
    })),
    alertsBeforeSchedule: alertsDuring(
      observability.timeline,
      started,
      outcomes[0]?.injectedAt ?? Date.now(),
    ),
    alertPollsFailed: observability.timeline.failedPolls,
    notifications,
    scrapeTargets,
    unplannedExits: supervisor.unplannedExits,
    peakRssMiB: {
      bridge: Math.max(0, ...samples.map((s) => s.rss.bridge ?? 0)),
      worker: Math.max(0, ...samples.map((s) => s.rss.worker ?? 0)),
    },
    verification,
    drained,
    elapsedS: (Date.now() - started) / 1000,
    simulatorError,
    ok:
      verification.ok &&
      drained &&
      outcomes.every((o) => o.recoveryS !== undefined) &&
      simulatorError === undefined &&
      outcomes.length === schedule.length,
  };
  printReport(report, say);
  return report;
}

/**
 * Steady state first: the baseline lag of the first fault must not include the start-up (the
 * processes' first batches are slow), so wait until both lags are within two seconds of input.
 */
async function steadyState(
  rate: number,
  supervisor: ChaosSupervisor,
  interrupted: () => boolean,
): Promise<void> {
  const warmupUntil = Date.now() + 120_000;
  await sleep(10_000);
  while (Date.now() < warmupUntil && !interrupted()) {
    const s = supervisor.latest();
    const lag = s && lagOf(s);
    if (lag !== undefined && lag <= 2 * rate && (s?.bridgeLag ?? Infinity) <= 2 * rate) return;
    await sleep(1000);
  }
}

const defined = (v: number | undefined): v is number => v !== undefined;

/**
 * One fault, measured on its own: injected once the pipeline has caught up with the previous one;
 * recovered once both lags are back under twice their level before it (or two seconds of input).
 */
async function measureFault(
  fault: Fault,
  label: string,
  opts: ChaosOptions,
  targets: FaultTargets,
  interrupted: () => boolean,
): Promise<FaultOutcome> {
  const { supervisor } = targets;
  const base = supervisor.recent(5);
  const baseLag = median(base.map(lagOf).filter(defined));
  const baseBridgeLag = median(base.map((s) => s.bridgeLag).filter(defined));
  const lagBound = Math.max(2 * baseLag, 2 * opts.rate);
  const bridgeLagBound = Math.max(2 * baseBridgeLag, 2 * opts.rate);
  const firstSample = supervisor.samples.length;
  const injectedAt = Date.now();
  opts.say(`>> fault ${label}: ${describeFault(fault)} (lag before: ${fmt(baseLag)})`);
  const target = await injectFault(fault, targets);
  const clearedAt = Date.now();
  await supervisor.ensureServers();
  let recoveredAt: number | undefined;
  while (Date.now() - injectedAt < opts.recoveryTimeoutS * 1000 && !interrupted()) {
    const s = supervisor.latest();
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
  const episode = supervisor.samples.slice(firstSample);
  return {
    fault,
    target,
    injectedAt,
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
}

/**
 * The webhook's notifications once every escalation level the run reached has been notified to its
 * tier's receiver, or after 30 s (a level never notified shows as missing in the report and the test).
 */
async function escalationsNotified(observability: RunObservability, levels: readonly number[]) {
  const tiers = LOCAL_ALERTING.deviceAlertTiers;
  const deadline = Date.now() + 30_000;
  const notified = () =>
    levels.every(
      (level) =>
        observability.webhook.received(tiers[Math.min(level, tiers.length - 1)]!, {
          alertname: DEVICE_ALERT_NAME,
          tier: String(level),
        }).length > 0,
    );
  while (!notified() && Date.now() < deadline) await sleep(1000);
  return [...observability.webhook.notifications];
}
