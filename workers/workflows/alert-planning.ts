/**
 * Threshold evaluation for a batch: which alert workflows to signal. Pure and deterministic.
 * Breaches always signal (signal-with-start raises or feeds the alert); a cleared reading signals
 * only where an alert is open, so a healthy fleet costs no Temporal actions.
 */
import { isBreach, isCleared, type AlertRule } from '../shared/alert-rules.js';
import type { IngestedEvent } from '../shared/events.js';
import type { AlertReading } from '../shared/temporal.js';

export interface AlertSignal {
  readonly deviceId: string;
  readonly rule: AlertRule;
  readonly reading: AlertReading;
  /** true: signal-with-start; false: signal only if the alert runs. */
  readonly breach: boolean;
}

export interface OpenAlertKey {
  readonly deviceId: string;
  readonly rule: string;
}

/**
 * Per (device, rule): the latest breach of the batch, then the latest clearing reading if it came
 * after that breach (or the alert was already open), in that order.
 */
export function planAlertSignals(
  events: readonly IngestedEvent[],
  rules: readonly AlertRule[],
  openAlerts: readonly OpenAlertKey[],
): AlertSignal[] {
  const open = new Set(openAlerts.map((a) => `${a.deviceId}\u0000${a.rule}`));
  const breaches = new Map<string, AlertSignal>();
  const clears = new Map<string, AlertSignal>();
  for (const event of events) {
    for (const rule of rules) {
      const value = event.readings[rule.reading];
      const key = `${event.deviceId}\u0000${rule.name}`;
      const breach = isBreach(rule, value);
      if (!breach && !isCleared(rule, value)) continue;
      const target = breach ? breaches : clears;
      const previous = target.get(key);
      if (previous && previous.reading.at >= event.timestamp) continue;
      target.set(key, {
        deviceId: event.deviceId,
        rule,
        breach,
        reading: { eventId: event.eventId, value, at: event.timestamp },
      });
    }
  }
  const signals: AlertSignal[] = [...breaches.values()];
  for (const [key, clear] of clears) {
    const breach = breaches.get(key);
    if (breach ? clear.reading.at > breach.reading.at : open.has(key)) signals.push(clear);
  }
  return signals;
}
