/** Alert side effects: signalling alert workflows, and recording each transition (Postgres + Kafka). */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { ConcurrencyLimit } from '../lib/concurrency-limit.js';
import type { EscalationPolicy } from '../shared/alert-rules.js';
import type { AlertEvent } from '../shared/events.js';
import { HEADERS } from '../shared/topics.js';
import { alertsForTransition, postAlerts } from '../lib/alertmanager.js';
import {
  WORKFLOW_TYPES,
  alertReadingSignal,
  alertTaskQueue,
  alertWorkflowId,
  type AlertState,
  type DeviceAlertInput,
} from '../shared/temporal.js';
import type { AlertSignal } from '../shared/activity-contract.js';

export interface AlertDeps {
  readonly pool: Pool;
  readonly producer: Producer;
  readonly temporal: Client;
  /** The pipeline's task queue; alerts start on alertTaskQueue() of it. */
  readonly taskQueue: string;
  readonly alertsTopic: string;
  readonly escalation: EscalationPolicy;
  /** Signals in flight at once, shared by every batch of the process (ALERT_SIGNAL_CONCURRENCY). */
  readonly signalLimit: ConcurrencyLimit;
  readonly onAlertTransition?: (transition: string) => void;
  /** Alertmanager's base URL: each transition is posted there too, so escalations reach people. */
  readonly alertmanagerUrl?: string;
}

/**
 * Breaches of `signals` that are late: older than the last reading of the device's resolved alert for
 * the rule (a replay), or older than a reading of the device already applied from outside this batch.
 * Such a breach feeds an alert that runs (which applies it by event time) but starts none.
 */
async function lateBreaches(pool: Pool, signals: readonly AlertSignal[]): Promise<Set<AlertSignal>> {
  const breaches = signals.filter((s) => s.breach);
  if (breaches.length === 0) return new Set();
  const { rows } = await pool.query<{ i: string }>(
    `SELECT s.i FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[]) WITH ORDINALITY
       AS s(alert_id, device_id, at_ms, newest_ms, i)
     WHERE EXISTS (SELECT 1 FROM alerts a WHERE a.alert_id = s.alert_id AND a.status = 'resolved'
                     AND a.last_reading_at > to_timestamp(s.at_ms / 1000::float8))
        OR EXISTS (SELECT 1 FROM device_state d WHERE d.device_id = s.device_id
                     AND d.last_event_at > to_timestamp(s.newest_ms / 1000::float8))`,
    [
      breaches.map((s) => alertWorkflowId(s.deviceId, s.rule.name)),
      breaches.map((s) => s.deviceId),
      breaches.map((s) => s.reading.at),
      breaches.map((s) => s.newestInBatchAt ?? null),
    ],
  );
  return new Set(rows.map((r) => breaches[Number(r.i) - 1]!));
}

/** Sends one signal; false when it was a plain signal and no alert runs. */
async function send(deps: AlertDeps, s: AlertSignal, startable: boolean): Promise<boolean> {
  const workflowId = alertWorkflowId(s.deviceId, s.rule.name);
  if (startable) {
    const input: DeviceAlertInput = { deviceId: s.deviceId, rule: s.rule, escalation: deps.escalation };
    await deps.temporal.workflow.signalWithStart(WORKFLOW_TYPES.deviceAlert, {
      workflowId,
      taskQueue: alertTaskQueue(deps.taskQueue),
      args: [input],
      signal: alertReadingSignal,
      signalArgs: [s.reading],
    });
    return true;
  }
  try {
    await deps.temporal.workflow.getHandle(workflowId).signal(alertReadingSignal, s.reading);
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/**
 * Breach: signal-with-start, so the first breach starts the alert and later ones feed the same
 * workflow (the ID collides on purpose); a late breach only feeds a running one. Cleared: plain
 * signal; no running alert means nothing to do. Signals to one alert go in order, different alerts
 * concurrently within `signalLimit`. A retry re-sends signals; the alert workflow ignores event IDs
 * it has seen.
 */
export async function signalAlerts(deps: AlertDeps, signals: readonly AlertSignal[]): Promise<number> {
  const late = await lateBreaches(deps.pool, signals);
  const byAlert = new Map<string, AlertSignal[]>();
  for (const s of signals) {
    const key = alertWorkflowId(s.deviceId, s.rule.name);
    const group = byAlert.get(key);
    if (group) group.push(s);
    else byAlert.set(key, [s]);
  }
  const groups = [...byAlert.values()];
  let next = 0;
  let sent = 0;
  let failed = false;
  // At most `max` lanes per call: the limit's queue holds a few entries per batch, so a batch with one
  // signal waits for one turn of a storm's slots, not behind the storm.
  const lane = async () => {
    while (!failed && next < groups.length) {
      for (const s of groups[next++]!) {
        if (failed) return;
        const delivered = await deps.signalLimit.run(() => send(deps, s, s.breach && !late.has(s)));
        if (delivered) sent++;
      }
    }
  };
  const lanes = Array.from({ length: Math.min(deps.signalLimit.max, groups.length) }, () =>
    lane().catch((err: unknown) => {
      failed = true;
      throw err;
    }),
  );
  const settled = await Promise.allSettled(lanes);
  const failure = settled.find((r) => r.status === 'rejected');
  if (failure) throw failure.reason;
  return sent;
}

/**
 * Idempotent on (alert, run, sequence): a retried transition neither duplicates rows nor regresses state;
 * the transition is published to the alerts topic, and posted to Alertmanager when one is configured.
 */
export async function recordAlertTransition(
  deps: AlertDeps,
  input: { readonly state: AlertState; readonly event: AlertEvent; readonly runId: string },
): Promise<void> {
  const { state, event, runId } = input;
  const client = await deps.pool.connect();
  let recorded: boolean;
  try {
    await client.query('BEGIN');
    const inserted = await client.query(
      `INSERT INTO alert_transitions (alert_id, run_id, sequence, transition, level, value, by_whom, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0)) ON CONFLICT DO NOTHING`,
      [
        event.alertId,
        runId,
        event.sequence,
        event.transition,
        event.level,
        event.value,
        event.by ?? null,
        event.at,
      ],
    );
    await client.query(
      `INSERT INTO alerts AS a (alert_id, run_id, device_id, rule, status, level, last_value, raised_at,
                                acknowledged_by, resolved_at, sequence, last_reading_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), $9, to_timestamp($10 / 1000.0), $11,
               to_timestamp($12 / 1000::float8))
       ON CONFLICT (alert_id) DO UPDATE SET run_id = excluded.run_id, status = excluded.status, level = excluded.level,
         last_value = excluded.last_value, raised_at = excluded.raised_at, acknowledged_by = excluded.acknowledged_by,
         resolved_at = excluded.resolved_at, sequence = excluded.sequence, last_reading_at = excluded.last_reading_at,
         updated_at = clock_timestamp()
       WHERE a.run_id <> excluded.run_id OR a.sequence < excluded.sequence`,
      [
        state.alertId,
        runId,
        state.deviceId,
        state.rule,
        state.status,
        state.level,
        Number.isFinite(state.lastValue) ? state.lastValue : null,
        state.raisedAt,
        state.acknowledgedBy ?? null,
        state.resolvedAt ?? null,
        event.sequence,
        state.lastReadingAt ?? null,
      ],
    );
    await client.query('COMMIT');
    recorded = inserted.rowCount === 1;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (recorded) deps.onAlertTransition?.(event.transition);
  await deps.producer.send({
    topic: deps.alertsTopic,
    acks: -1,
    messages: [
      {
        key: event.deviceId,
        value: JSON.stringify(event),
        headers: {
          [HEADERS.idempotencyKey]: `${event.alertId}:${runId}:${event.sequence}`,
          [HEADERS.eventType]: 'Alert',
        },
      },
    ],
  });
  // After the topic: a retry re-posts, and Alertmanager updates the same alert (labels identify it).
  if (deps.alertmanagerUrl) await postAlerts(deps.alertmanagerUrl, alertsForTransition(event));
}
