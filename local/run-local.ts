/**
 * `npm run local`: the whole pipeline on one machine. Brings up the local stack, starts the worker and
 * the ingest bridge as the cluster runs them, drives a simulated sensor fleet into Kafka, prints live
 * progress, then drains and checks that every event's effects happened exactly once.
 *
 *   npm run local -- [--duration 60] [--rate 2000] [--devices 1000] [--workers 1] [--seed N]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka } from 'kafkajs';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { kafkaClientConfig, loadStackConfig } from './config.js';
import { stackUp } from './stack.js';
import {
  pipelineEnv,
  scrapeMetric,
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from './pipeline-processes.js';
import { effectCounts, processedTopicCounts, readSince, topicEndOffsets } from './run-verification.js';
import { Fleet } from './simulator/fleet.js';
import { produceFleet } from './simulator/producer.js';
import { BRIDGE_METRICS } from '../workers/shared/metrics.js';
import { TOPICS } from '../workers/shared/topics.js';
import { TEMPORAL_NAMESPACE, acknowledgeSignal } from '../workers/shared/temporal.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    rate: { type: 'string', default: '2000' },
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

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (line: string) => process.stdout.write(`${line}\n`);

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say(
    '\ninterrupted: stopping the simulator, draining, then stopping bridge and workers (Ctrl-C again to force)',
  );
});
process.on('SIGTERM', () => {
  interrupted = true;
});

async function main(): Promise<number> {
  say(
    `local run ${runId}: ${fmt(rate)} events/s for ${durationS} s from ${fmt(devices)} devices, ${workers} worker(s), seed ${seed}`,
  );
  const ep = await stackUp(loadStackConfig());
  const kafka = new Kafka(kafkaClientConfig(ep, `local-run-${runId}`));
  const pool = new pg.Pool({ connectionString: pipelineEnv(ep).DATABASE_URL, max: 2 });
  const connection = await Connection.connect({ address: ep.temporalAddress });
  const temporal = new Client({ connection, namespace: TEMPORAL_NAMESPACE });
  const startOffsets = {
    processed: await topicEndOffsets(kafka, TOPICS.processed),
    deadLetter: await topicEndOffsets(kafka, TOPICS.deadLetter),
  };

  const env = pipelineEnv(ep, {
    // Short escalation tiers so a local run shows escalations within its minute.
    ALERT_ESCALATION: JSON.stringify({ tiersMs: [15_000, 30_000] }),
    LOG_LEVEL: 'info',
  });
  const processes: PipelineProcess[] = [];
  for (let i = 0; i < workers; i++)
    processes.push(startPipelineProcess('worker', `worker-${i}`, env, 19470 + i));
  const bridge = startPipelineProcess('bridge', 'bridge-0', env, 19464);
  processes.push(bridge);
  say(`starting ${workers} worker(s) and the bridge (logs: ${processes.map((p) => p.logFile).join(', ')})`);
  await Promise.all(processes.map((p) => waitReady(p)));

  const fleet = new Fleet({
    runId,
    devices,
    seed,
    malformedRate: positive('malformed-rate', args['malformed-rate'], 1),
    duplicateRate: positive('duplicate-rate', args['duplicate-rate'], 1),
    hotDevices: Math.floor(positive('hot-devices', args['hot-devices'])),
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  const started = Date.now();
  let lastProcessed = 0;
  let lastAt = started;
  const acked = new Set<string>();
  const status = async (phase: string) => {
    const { ledger } = await effectCounts(pool, `${runId}-`);
    const alerts = await pool.query<{ status: string; n: string }>(
      `SELECT status, count(*) AS n FROM alerts WHERE device_id LIKE $1 GROUP BY status`,
      [`${runId}-%`],
    );
    const byStatus = Object.fromEntries(alerts.rows.map((r) => [r.status, Number(r.n)]));
    const raised = Object.values(byStatus).reduce((a, b) => a + b, 0);
    const dlq = await scrapeMetric(bridge, BRIDGE_METRICS.deadLettered);
    const now = Date.now();
    const rateNow = ((ledger - lastProcessed) * 1000) / Math.max(1, now - lastAt);
    lastProcessed = ledger;
    lastAt = now;
    say(
      `[${String(Math.round((now - started) / 1000)).padStart(4)}s ${phase}] produced ${fmt(fleet.counts.produced)}` +
        ` (valid ${fmt(fleet.counts.valid)}, dup ${fmt(fleet.counts.duplicates)}, malformed ${fmt(fleet.counts.malformed)})` +
        ` | processed ${fmt(ledger)} | lag ${fmt(Math.max(0, fleet.counts.valid - ledger))} | ${fmt(rateNow)} ev/s` +
        ` | dlq ${fmt(dlq)} | alerts ${raised} (open ${byStatus.open ?? 0}, acked ${byStatus.acknowledged ?? 0}, resolved ${byStatus.resolved ?? 0})`,
    );
    await acknowledgeSome(acked);
    return ledger;
  };

  /** A simulated operator acknowledges every other alert, so both paths (ack, escalation) show. */
  const acknowledgeSome = async (done: Set<string>) => {
    const { rows } = await pool.query<{ alert_id: string }>(
      `SELECT alert_id FROM alerts WHERE device_id LIKE $1 AND status = 'open' AND raised_at < now() - interval '5 seconds' ORDER BY alert_id`,
      [`${runId}-%`],
    );
    for (const [i, row] of rows.entries()) {
      if (done.has(row.alert_id) || i % 2 === 1) continue;
      done.add(row.alert_id);
      await temporal.workflow
        .getHandle(row.alert_id)
        .signal(acknowledgeSignal, { by: 'local-operator' })
        .catch(() => undefined);
    }
  };

  const ticker = setInterval(() => void status('run').catch(() => undefined), 2000);
  try {
    await produceFleet(producer, fleet, {
      topic: TOPICS.sensorData,
      rate,
      durationMs: durationS * 1000,
      shouldStop: () => interrupted,
    });
  } finally {
    clearInterval(ticker);
    await producer.disconnect();
  }

  say(`simulator done: ${fmt(fleet.counts.produced)} records; draining (up to ${drainTimeoutS} s)`);
  const drainDeadline = Date.now() + drainTimeoutS * 1000;
  for (;;) {
    const processed = await status('drain');
    if (processed >= fleet.counts.valid || Date.now() > drainDeadline) break;
    for (const p of processes) {
      if (p.child.exitCode !== null)
        throw new Error(`${p.name} exited with ${p.child.exitCode}; see ${p.logFile}`);
    }
    await sleep(2000);
  }

  for (const p of processes.reverse()) {
    const code = await stopPipelineProcess(p);
    say(`${p.name}: stopped (exit ${code})`);
  }

  const effects = await effectCounts(pool, `${runId}-`);
  const topic = await processedTopicCounts(kafka, startOffsets.processed, `${runId}-`);
  let deadLettered = 0;
  await readSince(kafka, startOffsets.deadLetter, () => deadLettered++);
  const alerts = await pool.query<{ status: string; n: string }>(
    `SELECT status, count(*) AS n FROM alerts WHERE device_id LIKE $1 GROUP BY status ORDER BY status`,
    [`${runId}-%`],
  );
  const escalations = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM alert_transitions WHERE alert_id LIKE $1 AND transition = 'escalated'`,
    [`alert:${runId}-%`],
  );
  const elapsed = (Date.now() - started) / 1000;
  const checks: [string, boolean, string][] = [
    [
      'every valid event applied once (ledger)',
      effects.ledger === fleet.counts.valid,
      `${fmt(effects.ledger)} of ${fmt(fleet.counts.valid)}`,
    ],
    [
      'rollups count each event once',
      effects.rollupCount === effects.ledger,
      `${fmt(effects.rollupCount)} = ${fmt(effects.ledger)}`,
    ],
    [
      'processed topic: one key per event',
      topic.uniqueKeys === fleet.counts.valid,
      `${fmt(topic.uniqueKeys)} keys, ${fmt(topic.redeliveries)} redeliveries dropped by dedup`,
    ],
    [
      'malformed records dead-lettered',
      deadLettered >= fleet.counts.malformed,
      `${fmt(deadLettered)} in DLQ, ${fmt(fleet.counts.malformed)} sent`,
    ],
    [
      'devices with state',
      effects.devicesWithState === Math.min(devices, fleet.counts.valid),
      `${fmt(effects.devicesWithState)}`,
    ],
  ];
  say('');
  say(`summary of run ${runId} (seed ${seed}, ${elapsed.toFixed(0)} s)`);
  say(
    `  produced ${fmt(fleet.counts.produced)}: valid ${fmt(fleet.counts.valid)}, device re-sends ${fmt(fleet.counts.duplicates)}, malformed ${fmt(fleet.counts.malformed)}`,
  );
  say(
    `  processed ${fmt(effects.ledger)}, duplicates applied 0 by construction of the ledger, ${fmt(effects.ledger / Math.max(1, durationS))} ev/s over the produce window`,
  );
  say(
    `  alerts: ${alerts.rows.map((r) => `${r.status} ${r.n}`).join(', ') || 'none'}; escalations ${escalations.rows[0]?.n ?? 0}`,
  );
  let ok = true;
  for (const [name, pass, detail] of checks) {
    ok &&= pass;
    say(`  ${pass ? 'PASS' : 'FAIL'}  ${name}: ${detail}`);
  }
  say(ok ? 'exactly-once check: OK' : 'exactly-once check: FAILED');
  say('the local stack keeps running for the next run; stop it with: npm run stack:down');
  await pool.end();
  await connection.close();
  return ok ? 0 : 1;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
