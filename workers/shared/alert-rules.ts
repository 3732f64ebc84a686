/**
 * Alert rules and escalation policy: plain data, evaluated by deterministic workflow code. The bridge
 * passes the rules it was configured with into each batch, so the history records what was applied.
 */
import type { ReadingName } from './events.js';

export interface AlertRule {
  /** Stable name; part of the alert workflow ID (alert:<deviceId>:<name>). */
  readonly name: string;
  readonly reading: ReadingName;
  /** 'above': breach when value > threshold; 'below': breach when value < threshold. */
  readonly direction: 'above' | 'below';
  readonly threshold: number;
  /** A breach clears only once the value is back past threshold ∓ hysteresis (no flapping). */
  readonly hysteresis: number;
}

export interface EscalationPolicy {
  /** Delay before each escalation while unacknowledged, in milliseconds; one entry per tier. */
  readonly tiersMs: readonly number[];
}

export const DEFAULT_ALERT_RULES: readonly AlertRule[] = [
  { name: 'temperature-high', reading: 'temperature', direction: 'above', threshold: 80, hysteresis: 5 },
  { name: 'battery-low', reading: 'battery', direction: 'below', threshold: 10, hysteresis: 5 },
];

/**
 * The alert name a device alert has in Alertmanager (workers/lib/alertmanager.ts), which the
 * environments' routes match (stacks/observability/alert-routing.ts).
 */
export const DEVICE_ALERT_NAME = 'SensorDeviceAlert';

/** 5 min to the on-call engineer, 15 min more to the team lead, 1 h more to the manager. */
export const DEFAULT_ESCALATION: EscalationPolicy = { tiersMs: [5 * 60_000, 15 * 60_000, 60 * 60_000] };

export function isBreach(rule: AlertRule, value: number): boolean {
  return rule.direction === 'above' ? value > rule.threshold : value < rule.threshold;
}

export function isCleared(rule: AlertRule, value: number): boolean {
  return rule.direction === 'above'
    ? value <= rule.threshold - rule.hysteresis
    : value >= rule.threshold + rule.hysteresis;
}
