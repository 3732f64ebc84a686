/**
 * `npm run local`: the whole pipeline on one machine. Brings up the local stack, starts the worker and
 * the ingest bridge as the cluster runs them, drives a simulated sensor fleet into Kafka, prints live
 * progress, then drains and checks that every event's effects happened exactly once.
 *
 *   npm run local -- [--duration 60] [--rate 1000] [--devices 1000] [--workers 1] [--seed N]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadStackConfig } from './config.js';
import { fmt, PipelineRun } from './pipeline-run.js';
import { statusLine, type RunSnapshot } from './run-progress.js';
import { stackUp } from './stack.js';
import { RunObservability } from './run-observability.js';
import { describeNotifications } from './alert-webhook.js';
import { TEMPORAL_NAMESPACE } from '../workers/shared/temporal.js';
import type { StackEndpoints } from './config.js';

/** The UI's list of the pipeline namespace's workflows. */
function workflowsUrl(ep: StackEndpoints): string {
  return `${ep.temporalUiUrl}/namespaces/${TEMPORAL_NAMESPACE}/workflows`;
}

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    rate: { type: 'string', default: '1000' },
    devices: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '1' },
    seed: { type: 'string' },
    'malformed-rate': { type: 'string', default: '0.005' },
    'duplicate-rate': { type: 'string', default: '0.005' },
    'hot-devices': { type: 'string', default: '3' },
    'drain-timeout': { type: 'string', default: '180' },
  },
});

function positive(name: string, raw: string | undefined, max = Number.MAX_SAFE_INTEGER): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max) {
    console.error(`--${name} ${raw}: expected a number between 0 and ${max}`);
    process.exit(2);
  }
  return value;
}

const durationS = positive('duration', args.duration);
const rate = positive('rate', args.rate);
const devices = Math.max(1, Math.floor(positive('devices', args.devices)));
const workers = Math.max(1, Math.floor(positive('workers', args.workers, 8)));
const seed =
  args.seed !== undefined ? Math.floor(positive('seed', args.seed)) : randomBytes(4).readUInt32BE();
const drainTimeoutS = positive('drain-timeout', args['drain-timeout']);
const runId = `r${Date.now().toString(36)}`;

const say = (line: string) => process.stdout.write(`${line}\n`);

let interrupted = false;
let interruptedAt = 0;
process.on('SIGINT', () => {
  // One Ctrl-C reaches this process more than once: from the terminal, and relayed by npm and tsx.
  if (interrupted && Date.now() - interruptedAt < 1000) return;
  if (interrupted) {
    say("forced: killing the bridge and workers, stopping the run's Prometheus and Alertmanager");
    void cleanUp({ force: true }).finally(() => process.exit(130));
    return;
  }
  interrupted = true;
  interruptedAt = Date.now();
  say(
    '\ninterrupted: stopping the simulator, draining, then stopping bridge and workers (Ctrl-C again to force)',
  );
});
process.on('SIGTERM', () => {
  interrupted = true;
});

/** What this run started, for the clean-up that every way out of it runs (success, failure, Ctrl-C). */
const launched: { observability?: RunObservability; run?: PipelineRun } = {};

async function cleanUp(options: { force?: boolean } = {}): Promise<void> {
  if (options.force) for (const p of launched.run?.processes.values() ?? []) p.child.kill('SIGKILL');
  await launched.run?.stopProcesses().catch(() => undefined);
  await launched.observability?.stop().catch(() => undefined);
  await launched.run?.close();
}

async function main(): Promise<number> {
  say(
    `local run ${runId}: ${fmt(rate)} events/s for ${durationS} s from ${fmt(devices)} devices, ${workers} worker(s), seed ${seed}`,
  );
  const config = loadStackConfig();
  const ep = await stackUp(config);
  const observability = await RunObservability.prepare(config);
  launched.observability = observability;
  say(`starting ${workers} worker(s) and the bridge`);
  const run = await PipelineRun.start({
    ep,
    runId,
    workers,
    fleet: {
      devices,
      seed,
      malformedRate: positive('malformed-rate', args['malformed-rate'], 1),
      duplicateRate: positive('duplicate-rate', args['duplicate-rate'], 1),
      hotDevices: Math.floor(positive('hot-devices', args['hot-devices'])),
    },
    env: {
      // Short escalation tiers so a local run shows escalations within its minute.
      ALERT_ESCALATION: JSON.stringify({ tiersMs: [15_000, 30_000] }),
      ...observability.processEnv,
      LOG_LEVEL: 'info',
    },
  });
  launched.run = run;
  say(`bridge and worker(s) ready (logs: ${run.logFiles.join(', ')})`);
  say(`metrics ports (chosen free for this run): ${run.portsLine()}`);
  say(`Temporal Web UI (each batch workflow's step and history): ${workflowsUrl(ep)}`);
  await observability.watch(ep, run, rate);
  const prom = observability.prometheus.url;
  say(
    `Prometheus (this run's bridge, workers, Temporal and Kafka lag; the project's alert rules): ` +
      `${prom}/api/v1/alerts, e.g. ${prom}/api/v1/query?query=sum(rate(sensor_worker_events_processed_total[1m]))`,
  );

  const started = Date.now();
  let previous: RunSnapshot | undefined;
  const status = async (phase: string) => {
    const s = await run.snapshot();
    say(statusLine(phase, s, previous, started));
    previous = s;
    await run.acknowledgeSome().catch(() => undefined);
    return s;
  };

  const ticker = setInterval(() => void status('run').catch(() => undefined), 2000);
  try {
    await run.produce(rate, durationS * 1000, () => interrupted);
  } finally {
    clearInterval(ticker);
  }

  say(`simulator done: ${fmt(run.fleet.counts.produced)} records; draining (up to ${drainTimeoutS} s)`);
  await run.drain(drainTimeoutS, () => status('drain'));
  // The alerts before the processes stop (their exit would page "stalled"), then Prometheus stops.
  await observability.stopWatching();
  await run.stopProcesses((name, code) => say(`${name}: stopped (exit ${code})`));

  const v = await run.verify({ say });
  const c = run.fleet.counts;
  const elapsed = (Date.now() - started) / 1000;
  say('');
  say(`summary of run ${runId} (seed ${seed}, ${elapsed.toFixed(0)} s)`);
  say(
    `  produced ${fmt(c.produced)}: valid ${fmt(c.valid)}, device re-sends ${fmt(c.duplicates)}, malformed ${fmt(c.malformed)}`,
  );
  say(
    `  processed ${fmt(v.processed)}, duplicates applied 0 by construction of the ledger, ${fmt(v.processed / Math.max(1, durationS))} ev/s over the produce window`,
  );
  say(`  alerts: ${v.alertLine}`);
  const fired = observability.timeline.firedBetween(started, Date.now());
  say(
    `  platform alerts fired (rules evaluated by the run's Prometheus): ${
      fired.length === 0 ? 'none' : fired.map((a) => `${a.alert} (${a.severity})`).join(', ')
    }`,
  );
  for (const check of v.checks) say(`  ${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  say(v.ok ? 'exactly-once check: OK' : 'exactly-once check: FAILED');
  say(
    `  notified through Alertmanager (production's routes, to a local webhook): ${describeNotifications(observability.webhook.notifications)}`,
  );
  say(`  the batch workflows in the Temporal Web UI: ${workflowsUrl(ep)}`);
  say('the local stack keeps running for the next run; stop it with: npm run stack:down');
  return v.ok ? 0 : 1;
}

void main()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    return 1;
  })
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
