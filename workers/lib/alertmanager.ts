/**
 * Device alerts to Alertmanager (ALERTMANAGER_URL), so that an escalation reaches people: each
 * transition posts the alert's labels for its tier, and Alertmanager routes them by tier to the
 * environment's receivers (stacks/observability/alert-routing.ts) and groups a storm into one page.
 *
 * Alertmanager identifies an alert by its labels, so a re-post (an activity retried) updates the same
 * alert and never pages twice. An escalation ends the previous tier's alert and starts the next; an
 * acknowledgement or a resolution ends the current one. A firing alert carries an end far ahead
 * (FIRING_HOLD_MS): without one, Alertmanager resolves an alert that is not re-sent within its
 * resolve_timeout, and the alert workflow posts only at its transitions.
 */
import { DEVICE_ALERT_NAME } from '../shared/alert-rules.js';
import type { AlertEvent } from '../shared/events.js';
/** A firing alert that no transition ends stops paging after this long (a week). */
export const FIRING_HOLD_MS = 7 * 24 * 3600_000;
const POST_TIMEOUT_MS = 10_000;

/** One alert as Alertmanager's API v2 takes it. */
export interface AlertmanagerAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
}

function alertFor(event: AlertEvent, tier: number, firing: boolean): AlertmanagerAlert {
  const at = new Date(event.at);
  return {
    labels: {
      alertname: DEVICE_ALERT_NAME,
      alert_id: event.alertId,
      device: event.deviceId,
      rule: event.rule,
      tier: String(tier),
      severity: tier === 0 ? 'warning' : 'critical',
    },
    annotations: {
      summary: `${event.rule} on device ${event.deviceId}`,
      description:
        tier === 0
          ? `Raised at value ${event.value}; it escalates unless acknowledged.`
          : `Not acknowledged: escalated to tier ${tier} (value ${event.value}).`,
    },
    startsAt: at.toISOString(),
    endsAt: new Date(firing ? event.at + FIRING_HOLD_MS : event.at).toISOString(),
  };
}

/** What a transition posts: the tier it starts and the one it ends. */
export function alertsForTransition(event: AlertEvent): AlertmanagerAlert[] {
  switch (event.transition) {
    case 'raised':
      return [alertFor(event, 0, true)];
    case 'escalated':
      return [alertFor(event, event.level - 1, false), alertFor(event, event.level, true)];
    case 'acknowledged':
    case 'resolved':
      return [alertFor(event, event.level, false)];
  }
}

/** Posts alerts; throws on a refusal or no answer, so that the activity retries. */
export async function postAlerts(baseUrl: string, alerts: readonly AlertmanagerAlert[]): Promise<void> {
  const res = await fetch(new URL('/api/v2/alerts', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
    signal: AbortSignal.timeout(POST_TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`alertmanager refused the alerts: HTTP ${res.status} ${await res.text()}`);
}
