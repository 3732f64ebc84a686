/** Alert side effects: signalling alert workflows, and recording each transition (Postgres + Kafka). */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { EscalationPolicy } from '../shared/alert-rules.js';
import type { AlertEvent } from '../shared/events.js';
import { HEADERS } from '../shared/topics.js';
import {
  WORKFLOW_TYPES,
  alertReadingSignal,
  alertWorkflowId,
  type AlertState,
  type DeviceAlertInput,
} from '../shared/temporal.js';
import type { AlertSignal } from '../shared/activity-contract.js';

export interface AlertDeps {
  readonly pool: Pool;
  readonly producer: Producer;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly alertsTopic: string;
  readonly escalation: EscalationPolicy;
}

/**
 * Breach: signal-with-start, so the first breach starts the alert and later ones feed the same
 * workflow (the ID collides on purpose). Cleared: plain signal; no running alert means nothing to do.
 * A retry re-sends signals; the alert workflow ignores event IDs it has seen.
 */
export async function signalAlerts(deps: AlertDeps, signals: readonly AlertSignal[]): Promise<number> {
  let sent = 0;
  for (const s of signals) {
    const workflowId = alertWorkflowId(s.deviceId, s.rule.name);
    if (s.breach) {
      const input: DeviceAlertInput = { deviceId: s.deviceId, rule: s.rule, escalation: deps.escalation };
      await deps.temporal.workflow.signalWithStart(WORKFLOW_TYPES.deviceAlert, {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [input],
        signal: alertReadingSignal,
        signalArgs: [s.reading],
      });
      sent++;
    } else {
      try {
        await deps.temporal.workflow.getHandle(workflowId).signal(alertReadingSignal, s.reading);
        sent++;
      } catch (err) {
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
    }
  }
  return sent;
}

/** Idempotent on (alert, run, sequence): a retried transition neither duplicates rows nor regresses state. */
export async function recordAlertTransition(
  deps: AlertDeps,
  input: { readonly state: AlertState; readonly event: AlertEvent; readonly runId: string },
): Promise<void> {
  const { state, event, runId } = input;
  const client = await deps.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
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
                                acknowledged_by, resolved_at, sequence)
       VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8 / 1000.0), $9, to_timestamp($10 / 1000.0), $11)
       ON CONFLICT (alert_id) DO UPDATE SET run_id = excluded.run_id, status = excluded.status, level = excluded.level,
         last_value = excluded.last_value, raised_at = excluded.raised_at, acknowledged_by = excluded.acknowledged_by,
         resolved_at = excluded.resolved_at, sequence = excluded.sequence, updated_at = clock_timestamp()
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
      ],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
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
}
