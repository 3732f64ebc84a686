/**
 * signalAlerts' fan-out with stand-ins for Temporal and Postgres: concurrent within the process-wide
 * limit, in order per alert, late breaches as plain signals, a failure stops the rest and is rethrown.
 * The real servers: tests/workers/workflows/alert-storm.test.ts and device-alert-event-time.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { signalAlerts, type AlertDeps } from '../../../workers/activities/alerts.js';
import { ConcurrencyLimit } from '../../../workers/lib/concurrency-limit.js';
import { DEFAULT_ALERT_RULES } from '../../../workers/shared/alert-rules.js';
import type { AlertSignal } from '../../../workers/shared/activity-contract.js';
import { alertTaskQueue } from '../../../workers/shared/temporal.js';

const [TEMPERATURE] = DEFAULT_ALERT_RULES;

interface Sent {
  readonly kind: 'start' | 'signal';
  readonly workflowId: string;
  readonly eventId: string;
  readonly taskQueue?: string;
}

function fakes(opts: { lateRows?: number[]; running?: Set<string>; failOn?: string } = {}) {
  const sent: Sent[] = [];
  let active = 0;
  let peak = 0;
  const call = async (entry: Sent) => {
    peak = Math.max(peak, ++active);
    await sleep(2);
    active--;
    if (entry.eventId === opts.failOn) throw new Error(`unavailable at ${entry.eventId}`);
    sent.push(entry);
  };
  const temporal = {
    workflow: {
      signalWithStart: async (
        _type: string,
        o: { workflowId: string; taskQueue: string; signalArgs: [{ eventId: string }] },
      ) =>
        call({
          kind: 'start',
          workflowId: o.workflowId,
          eventId: o.signalArgs[0].eventId,
          taskQueue: o.taskQueue,
        }),
      getHandle: (workflowId: string) => ({
        signal: async (_def: unknown, r: { eventId: string }) => {
          if (!(opts.running ?? new Set()).has(workflowId))
            throw new WorkflowNotFoundError('not found', workflowId, undefined);
          await call({ kind: 'signal', workflowId, eventId: r.eventId });
        },
      }),
    },
  } as unknown as Client;
  const pool = {
    query: async () => ({ rows: (opts.lateRows ?? []).map((i) => ({ i: String(i) })) }),
  } as unknown as Pool;
  const deps = (limit: ConcurrencyLimit): AlertDeps => ({
    pool,
    producer: {} as Producer,
    temporal,
    taskQueue: 'q',
    alertsTopic: 'alerts',
    escalation: { tiersMs: [1000] },
    signalLimit: limit,
  });
  return { sent, deps, peak: () => peak };
}

const signal = (device: string, n: number, breach: boolean, at = 1000 + n): AlertSignal => ({
  deviceId: device,
  rule: TEMPERATURE!,
  breach,
  reading: { eventId: `${device}-${n}`, value: breach ? 90 : 40, at },
  newestInBatchAt: at,
});

test('signals go out concurrently within the limit, one alert in its planned order', async () => {
  const signals = [
    ...Array.from({ length: 40 }, (_, i) => signal(`d${i}`, 1, true)),
    ...Array.from({ length: 40 }, (_, i) => signal(`d${i}`, 2, false)),
  ];
  const f = fakes({ running: new Set(signals.map((s) => `alert:${s.deviceId}:temperature-high`)) });
  const sent = await signalAlerts(f.deps(new ConcurrencyLimit(5)), signals);
  assert.equal(sent, 80);
  assert.equal(f.peak(), 5);
  for (let i = 0; i < 40; i++) {
    const mine = f.sent.filter((s) => s.workflowId === `alert:d${i}:temperature-high`);
    assert.deepEqual(
      mine.map((s) => [s.kind, s.eventId]),
      [
        ['start', `d${i}-1`],
        ['signal', `d${i}-2`],
      ],
    );
  }
  assert.ok(f.sent.filter((s) => s.kind === 'start').every((s) => s.taskQueue === alertTaskQueue('q')));
});

test('two batches share the process-wide limit', async () => {
  const f = fakes();
  const limit = new ConcurrencyLimit(4);
  const batch = (p: string) => Array.from({ length: 30 }, (_, i) => signal(`${p}${i}`, 1, true));
  await Promise.all([signalAlerts(f.deps(limit), batch('a')), signalAlerts(f.deps(limit), batch('b'))]);
  assert.equal(f.sent.length, 60);
  assert.equal(f.peak(), 4);
});

test('a late breach is a plain signal: it feeds a running alert and starts none', async () => {
  const signals = [signal('late', 1, true), signal('running', 1, true), signal('fresh', 1, true)];
  // Rows are 1-based positions among the breaches, as WITH ORDINALITY numbers them.
  const f = fakes({ lateRows: [1, 2], running: new Set(['alert:running:temperature-high']) });
  const sent = await signalAlerts(f.deps(new ConcurrencyLimit(2)), signals);
  assert.equal(sent, 2);
  assert.deepEqual(f.sent.map((s) => [s.kind, s.workflowId]).sort(), [
    ['signal', 'alert:running:temperature-high'],
    ['start', 'alert:fresh:temperature-high'],
  ]);
});

test('a failing signal stops the fan-out and fails the call (the chunk is retried)', async () => {
  const signals = Array.from({ length: 200 }, (_, i) => signal(`d${i}`, 1, true));
  const f = fakes({ failOn: 'd10-1' });
  await assert.rejects(signalAlerts(f.deps(new ConcurrencyLimit(4)), signals), /unavailable at d10-1/);
  assert.ok(f.sent.length < 30, `stopped soon after the failure (${f.sent.length} sent)`);
});
