/**
 * The observability section (validate.ts): Prometheus retention, the alert thresholds and
 * Alertmanager's receivers and routes.
 */
import type { AlertingConfig, EnvironmentConfig } from '../types.js';
import { DNS_LABEL, DURATION, type Checker } from './checker.js';

const RECEIVER_KINDS = ['webhook', 'slack', 'pagerduty'];
/** A Secret's data key. */
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const RECEIVER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkAlerting(c: Checker, a: AlertingConfig): void {
  const base = 'observability.alerting';
  const receivers = a.receivers && typeof a.receivers === 'object' ? a.receivers : {};
  const names = Object.keys(receivers);
  c.rule(
    names.length > 0,
    `'${base}.receivers' (${JSON.stringify(a.receivers)}) must name at least one receiver`,
  );
  for (const [name, r] of Object.entries(receivers)) {
    const path = `${base}.receivers.${name}`;
    c.match(`${path} (its name)`, name, RECEIVER_NAME, 'lowercase letters, digits and dashes');
    c.rule(
      RECEIVER_KINDS.includes(r?.kind),
      `'${path}.kind' (${JSON.stringify(r?.kind)}) must be one of ${RECEIVER_KINDS.join(', ')}`,
    );
    c.match(
      `${path}.secret.name`,
      r?.secret?.name,
      DNS_LABEL,
      'the name of a Secret in the monitoring namespace',
    );
    c.match(`${path}.secret.key`, r?.secret?.key, SECRET_KEY, 'a key of that Secret');
    if (r?.kind === 'slack')
      c.match(`${path}.channel`, r.channel, /^[#@].+$/, 'a Slack channel such as #sensor-alerts');
  }
  const known = (path: string, value: unknown) =>
    c.rule(
      typeof value === 'string' && names.includes(value),
      `'${path}' (${JSON.stringify(value)}) must be one of the receivers: ${names.join(', ')}`,
    );
  known(`${base}.platform.critical`, a.platform?.critical);
  known(`${base}.platform.warning`, a.platform?.warning);
  c.rule(
    Array.isArray(a.deviceAlertTiers) && a.deviceAlertTiers.length > 0,
    `'${base}.deviceAlertTiers' (${JSON.stringify(a.deviceAlertTiers)}) must list a receiver per tier, from the raised alert on`,
  );
  if (Array.isArray(a.deviceAlertTiers))
    a.deviceAlertTiers.forEach((r, i) => known(`${base}.deviceAlertTiers[${i}]`, r));
  for (const field of ['groupWait', 'groupInterval', 'repeatInterval'] as const)
    c.match(`${base}.${field}`, a[field], DURATION, 'an Alertmanager duration such as 30s or 4h');
}

export function checkObservability(c: Checker, config: EnvironmentConfig): void {
  const o = config.observability;
  checkAlerting(c, o.alerting ?? ({} as AlertingConfig));
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
