/**
 * Threshold evaluation for a batch: which alert workflows to signal. Pure and deterministic.
 * Breaches always signal (signal-with-start raises or feeds the alert); a cleared reading signals
 * only where an alert is open, so a healthy fleet costs no Temporal actions.
 */
import type { AlertSignal, OpenAlertKey } from '../shared/activity-contract.js';
import { isBreach, isCleared, type AlertRule } from '../shared/alert-rules.js';
import type { IngestedEvent } from '../shared/events.js';

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
  const latest = (target: Map<string, AlertSignal>, key: string, event: IngestedEvent, rule: AlertRule) => {
    const value = event.readings[rule.reading];
    const previous = target.get(key);
    if (previous && previous.reading.at >= event.timestamp) return;
    target.set(key, {
      deviceId: event.deviceId,
      rule,
      breach: target === breaches,
      reading: { eventId: event.eventId, value, at: event.timestamp },
    });
  };
  for (const event of events)
    for (const rule of rules)
      if (isBreach(rule, event.readings[rule.reading]))
        latest(breaches, `${event.deviceId}\u0000${rule.name}`, event, rule);
  // A clearing reading matters only where an alert is open or this batch breached: a healthy
  // fleet's batch (no breach, nothing open) skips the pass that would build one entry per reading.
  if (breaches.size > 0 || open.size > 0)
    for (const event of events)
      for (const rule of rules) {
        if (!isCleared(rule, event.readings[rule.reading])) continue;
        const key = `${event.deviceId}\u0000${rule.name}`;
        if (breaches.has(key) || open.has(key)) latest(clears, key, event, rule);
      }
  // A breach names its device's newest reading of the batch, so that signalAlerts can tell a reading
  // applied since by another batch (which makes the breach late) from this batch's own.
  const newest = new Map<string, number>();
  if (breaches.size > 0) {
    for (const { deviceId } of breaches.values()) newest.set(deviceId, Number.NEGATIVE_INFINITY);
    for (const event of events) {
      const at = newest.get(event.deviceId);
      if (at !== undefined && event.timestamp > at) newest.set(event.deviceId, event.timestamp);
    }
  }
  const signals: AlertSignal[] = [...breaches.values()].map((b) => ({
    ...b,
    newestInBatchAt: newest.get(b.deviceId),
  }));
  for (const [key, clear] of clears) {
    const breach = breaches.get(key);
    if (breach ? clear.reading.at > breach.reading.at : open.has(key)) signals.push(clear);
  }
  return signals;
}
