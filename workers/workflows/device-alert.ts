/**
 * A long-running alert per device and rule (ID alert:<deviceId>:<rule>), started by signal-with-start
 * on the first breach. It waits durably for a human's acknowledgement, escalates through the policy's
 * tiers on durable timers while nobody acknowledges, and resolves itself once readings clear.
 *
 * Readings apply in event-time order, whatever order their signals came in: a reading older than the
 * newest one applied (a late or replayed one) changes nothing, so an old clearing reading cannot
 * resolve a current breach. Runs started before this rule (no patch marker) keep signal order.
 */
import {
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SensorActivities } from '../shared/activity-contract.js';
import { isBreach, isCleared } from '../shared/alert-rules.js';
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

const retry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' } as const;
const remote = proxyActivities<SensorActivities>({ startToCloseTimeout: '30s', retry });
/**
 * A transition recorded as a local activity costs the Temporal server one workflow task instead of
 * three tasks (workflow, activity, workflow): in an alert storm the alerts' own tasks were the slow part.
 */
const local = proxyLocalActivities<SensorActivities>({
  startToCloseTimeout: '30s',
  localRetryThreshold: '10s',
  retry,
});

/** Signals carry event IDs; remembering the last ones makes a redelivered signal a no-op. */
const SEEN_EVENT_IDS = 256;
/** Keep each run's history small: a chatty device continues as new with its state. */
const MAX_HISTORY_EVENTS = 5_000;
/** Patch ID of event-time order (docs/reliability.md, "Late and replayed readings in alerts"). */
export const EVENT_TIME_PATCH = 'alert-readings-by-event-time';
/** Patch ID of transitions recorded by local activities (docs/reliability.md, "Alert storm"). */
export const LOCAL_RECORD_PATCH = 'alert-transitions-local';
/**
 * Patch ID of escalation deadlines: a tier escalates when its time has passed since it began, however
 * many readings arrived meanwhile. Before, each reading restarted the tier's timer, so a device that
 * kept breaching (a reading a second) never escalated (found by the chaos run's Alertmanager).
 */
export const ESCALATION_DEADLINE_PATCH = 'alert-escalation-deadline';

export interface DeviceAlertCarry {
  readonly state: AlertState;
  readonly sequence: number;
  readonly tier: number;
  readonly seen: string[];
  /** When the current tier escalates (workflow time, ms), with escalation deadlines. */
  readonly escalateAt?: number;
}

/** Event time, then event ID: every replay and every worker applies simultaneous readings alike. */
function byEventTime(a: AlertReading, b: AlertReading): number {
  return a.at - b.at || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

export async function deviceAlert(input: DeviceAlertInput, carry?: DeviceAlertCarry): Promise<AlertState> {
  const { workflowId, runId } = workflowInfo();
  const pending: AlertReading[] = [];
  const seen: string[] = carry ? [...carry.seen] : [];
  let ack: Acknowledgement | undefined;
  let state: AlertState | undefined = carry?.state;
  let sequence = carry?.sequence ?? 0;
  let tier = carry?.tier ?? 0;
  // Decided once per run: a run that started before a patch replays, and continues, without it.
  const eventTime = patched(EVENT_TIME_PATCH);
  const deadlines = patched(ESCALATION_DEADLINE_PATCH);
  let escalateAt = carry?.escalateAt;
  const { recordAlertTransition } = patched(LOCAL_RECORD_PATCH) ? local : remote;

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

  /** Applies buffered readings in signal order; returns true once a reading cleared the alert. */
  const drainInSignalOrder = (): boolean => {
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

  /** Event-time order: whether the newest reading applied cleared the alert (in-band ones keep it). */
  let cleared = false;
  /**
   * Applies buffered readings in event-time order, skipping any older than the newest applied; returns
   * true once the newest reading applied has cleared the alert.
   */
  const drainInEventOrder = (): boolean => {
    for (const reading of pending.splice(0).sort(byEventTime)) {
      const lastReadingAt = state?.lastReadingAt;
      if (lastReadingAt !== undefined && reading.at < lastReadingAt) continue;
      if (!state) {
        // The breach that started the run; a reading older than it (a late clear) does not apply.
        if (!isBreach(input.rule, reading.value)) continue;
        state = {
          alertId: workflowId,
          deviceId: input.deviceId,
          rule: input.rule.name,
          status: 'open',
          level: 0,
          raisedAt: reading.at,
          lastValue: reading.value,
          lastReadingAt: reading.at,
        };
        continue;
      }
      state = { ...state, lastValue: reading.value, lastReadingAt: reading.at };
      if (isCleared(input.rule, reading.value)) cleared = true;
      else if (isBreach(input.rule, reading.value)) cleared = false;
    }
    return cleared;
  };

  const drain = eventTime ? drainInEventOrder : drainInSignalOrder;
  if (!carry) {
    // In signal order, a clearing reading in the raising breach's task is lost (kept for replay); in
    // event-time order it stays in `cleared`, and the alert resolves right after it is raised.
    await condition(() => pending.length > 0);
    drain();
    while (eventTime && !state) {
      await condition(() => pending.length > 0);
      drain();
    }
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
      await continueAsNew<typeof deviceAlert>(input, { state: state!, sequence, tier, seen, escalateAt });
    }
    const escalating = state!.status === 'open' && tier < input.escalation.tiersMs.length;
    let woke: boolean;
    if (!escalating)
      woke =
        (await condition(() => pending.length > 0 || (ack !== undefined && state!.status === 'open')), true);
    else if (deadlines) {
      // The tier's deadline holds across readings: each one wakes the loop, none moves the deadline.
      escalateAt ??= Date.now() + input.escalation.tiersMs[tier]!;
      const left = escalateAt - Date.now();
      woke = left > 0 && (await condition(() => pending.length > 0 || ack !== undefined, left));
    } else
      woke = await condition(() => pending.length > 0 || ack !== undefined, input.escalation.tiersMs[tier]!);
    if (!woke) {
      tier++;
      escalateAt = undefined;
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
