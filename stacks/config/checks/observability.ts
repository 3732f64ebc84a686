/**
 * The observability section (validate.ts): Prometheus retention and the alert thresholds.
 */
import type { EnvironmentConfig } from '../types.js';
import { DURATION, type Checker } from './checker.js';

export function checkObservability(c: Checker, config: EnvironmentConfig): void {
  const o = config.observability;
  c.match(
    'observability.prometheusRetention',
    o.prometheusRetention,
    DURATION,
    'a Prometheus duration such as 15d',
  );
  c.int('observability.consumerLagAlert', o.consumerLagAlert, 1);
  c.rule(
    typeof o.dlqRateAlert === 'number' && o.dlqRateAlert > 0,
    `'observability.dlqRateAlert' (${JSON.stringify(o.dlqRateAlert)}) must be a number > 0 (messages per second)`,
  );
  c.rule(
    typeof o.scheduleToStartAlertSeconds === 'number' && o.scheduleToStartAlertSeconds > 0,
    `'observability.scheduleToStartAlertSeconds' (${JSON.stringify(o.scheduleToStartAlertSeconds)}) must be a number > 0 (seconds)`,
  );
}
