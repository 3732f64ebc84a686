/**
 * A long-running alert per device and rule (ID alert:<deviceId>:<rule>), started by signal-with-start
 * on the first breach. It waits durably for a human's acknowledgement, escalates through the policy's
 * tiers on durable timers while nobody acknowledges, and resolves itself once readings clear.
 */
import { condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { SensorActivities } from '../shared/activity-contract.js';
import { isCleared } from '../shared/alert-rules.js';
import { ALERT_SCHEMA_VERSION, type AlertTransition } from '../shared/events.js';
import {
  acknowledgeSignal,
  alertReadingSignal,
  alertStateQuery,
  type Acknowledgement,
  type AlertReading,
  type AlertState,
  type DeviceAlertInput,
} from '../shared/temporal.js';

const { recordAlertTransition } = proxyActivities<SensorActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
});

/** Signals carry event IDs; remembering the last ones makes a redelivered signal a no-op. */
const SEEN_EVENT_IDS = 256;
/** Keep each run's history small: a chatty device continues as new with its state. */
const MAX_HISTORY_EVENTS = 5_000;

export interface DeviceAlertCarry {
  readonly state: AlertState;
  readonly sequence: number;
  readonly tier: number;
  readonly seen: string[];
}

export async function deviceAlert(input: DeviceAlertInput, carry?: DeviceAlertCarry): Promise<AlertState> {
  const { workflowId, runId } = workflowInfo();
  const pending: AlertReading[] = [];
  const seen: string[] = carry ? [...carry.seen] : [];
  let ack: Acknowledgement | undefined;
  let state: AlertState | undefined = carry?.state;
  let sequence = carry?.sequence ?? 0;
  let tier = carry?.tier ?? 0;

  setHandler(alertReadingSignal, (reading) => {
    if (seen.includes(reading.eventId)) return;
    seen.push(reading.eventId);
    if (seen.length > SEEN_EVENT_IDS) seen.shift();
    pending.push(reading);
  });
  setHandler(acknowledgeSignal, (a) => {
    ack ??= a;
  });
  setHandler(alertStateQuery, () => state ?? placeholder(workflowId, input));

  const record = async (transition: AlertTransition, value: number) => {
    if (!state) return;
    sequence++;
    await recordAlertTransition({
      runId,
      state,
      event: {
        schemaVersion: ALERT_SCHEMA_VERSION,
        alertId: state.alertId,
        deviceId: input.deviceId,
        rule: input.rule.name,
        transition,
        sequence,
        level: state.level,
        value,
        at: Date.now(),
        by: transition === 'acknowledged' ? ack?.by : undefined,
      },
    });
  };

  /** Applies buffered readings; returns true once a reading cleared the alert. */
  const drain = (): boolean => {
    while (pending.length > 0) {
      const reading = pending.shift() as AlertReading;
      if (!state) {
        // The first signal of a run is the breach that started it.
        state = {
          alertId: workflowId,
          deviceId: input.deviceId,
          rule: input.rule.name,
          status: 'open',
          level: 0,
          raisedAt: reading.at,
          lastValue: reading.value,
        };
        continue;
      }
      state = { ...state, lastValue: reading.value };
      if (isCleared(input.rule, reading.value)) return true;
    }
    return false;
  };

  if (!carry) {
    await condition(() => pending.length > 0);
    drain();
    await record('raised', state!.lastValue);
  }

  for (;;) {
    if (drain()) {
      state = { ...state!, status: 'resolved', resolvedAt: Date.now() };
      await record('resolved', state.lastValue);
      return state;
    }
    if (ack && state!.status === 'open') {
      state = { ...state!, status: 'acknowledged', acknowledgedBy: ack.by };
      await record('acknowledged', state.lastValue);
      continue;
    }
    if (workflowInfo().historyLength > MAX_HISTORY_EVENTS) {
      await continueAsNew<typeof deviceAlert>(input, { state: state!, sequence, tier, seen });
    }
    const escalating = state!.status === 'open' && tier < input.escalation.tiersMs.length;
    const woke = escalating
      ? await condition(() => pending.length > 0 || ack !== undefined, input.escalation.tiersMs[tier]!)
      : (await condition(() => pending.length > 0 || (ack !== undefined && state!.status === 'open')), true);
    if (!woke) {
      tier++;
      state = { ...state!, level: tier };
      await record('escalated', state.lastValue);
    }
  }
}

function placeholder(workflowId: string, input: DeviceAlertInput): AlertState {
  return {
    alertId: workflowId,
    deviceId: input.deviceId,
    rule: input.rule.name,
    status: 'open',
    level: 0,
    raisedAt: 0,
    lastValue: Number.NaN,
  };
}
