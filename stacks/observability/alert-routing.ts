/**
 * Alertmanager's configuration from an environment's alerting section: one routing tree for the
 * platform's rules (by severity) and the devices' alert escalations (by tier), grouped so that a storm
 * pages each receiver once per group, not once per device. The operators layer hands it to
 * kube-prometheus-stack's Alertmanager; the local runs load the same tree into a real Alertmanager with
 * every receiver pointed at a local webhook (local/alertmanager.ts).
 */
import { DEVICE_ALERT_NAME } from '../../workers/shared/alert-rules.js';
import type { AlertingConfig, AlertReceiver } from '../config/types.js';

/** Where kube-prometheus-stack mounts `alertmanagerSpec.secrets`: /etc/alertmanager/secrets/<name>/<key>. */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** Receives what the platform routes nowhere: kube-prometheus-stack's Watchdog and InfoInhibitor. */
const SILENT_RECEIVER = 'null';

/** A receiver as Alertmanager's configuration file holds it. */
export type AlertmanagerReceiver = { readonly name: string } & Record<string, unknown>;

function receiverFromSecret(name: string, r: AlertReceiver): AlertmanagerReceiver {
  const file = `${ALERTMANAGER_SECRETS_DIR}/${r.secret.name}/${r.secret.key}`;
  switch (r.kind) {
    case 'webhook':
      return { name, webhook_configs: [{ url_file: file, send_resolved: true }] };
    case 'slack':
      return {
        name,
        slack_configs: [{ api_url_file: file, channel: r.channel, send_resolved: true }],
      };
    case 'pagerduty':
      return { name, pagerduty_configs: [{ routing_key_file: file, send_resolved: true }] };
  }
}

/** The Secrets that Alertmanager must mount, each once. */
export function alertmanagerSecrets(alerting: AlertingConfig): string[] {
  return [...new Set(Object.values(alerting.receivers).map((r) => r.secret.name))].sort();
}

/**
 * Alertmanager's configuration (its file format). `receiver` replaces each receiver's
 * notification settings: the local runs send every receiver to a webhook of their own.
 */
export function alertmanagerConfig(
  alerting: AlertingConfig,
  receiver: (name: string, r: AlertReceiver) => AlertmanagerReceiver = receiverFromSecret,
): Record<string, unknown> {
  const tiers = alerting.deviceAlertTiers;
  return {
    route: {
      receiver: alerting.platform.warning,
      // One notification per rule and tier (device alerts) or per alert name (the platform's).
      group_by: ['alertname', 'rule', 'tier'],
      group_wait: alerting.groupWait,
      group_interval: alerting.groupInterval,
      repeat_interval: alerting.repeatInterval,
      routes: [
        { receiver: SILENT_RECEIVER, matchers: ['alertname=~"Watchdog|InfoInhibitor"'] },
        // The first route that matches takes the alert: past the listed tiers, the last receiver keeps it.
        ...tiers.map((name, tier) => ({
          receiver: name,
          matchers: [
            `alertname="${DEVICE_ALERT_NAME}"`,
            ...(tier < tiers.length - 1 ? [`tier="${tier}"`] : []),
          ],
        })),
        { receiver: alerting.platform.critical, matchers: ['severity="critical"'] },
        { receiver: alerting.platform.warning, matchers: ['severity="warning"'] },
      ],
    },
    receivers: [
      { name: SILENT_RECEIVER },
      ...Object.entries(alerting.receivers).map(([name, r]) => receiver(name, r)),
    ],
  };
}
