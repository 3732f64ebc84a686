/**
 * Escalation reaches people (issue 24, finding 4): a device alert's transitions, posted as the worker
 * posts them (workers/lib/alertmanager.ts), go through a real Alertmanager loaded with production's
 * routes (stacks/observability/alert-routing.ts) to each tier's receiver: raised to the platform
 * channel, the first escalation to the on-call engineer, the second to the team lead; an alert storm
 * of many devices pages each receiver once (grouped), and a resolution is sent as resolved.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AlertWebhook } from '../../local/alert-webhook.js';
import { LocalAlertmanager } from '../../local/alertmanager.js';
import { eventually } from '../../local/testing/test-stack.js';
import { alertsForTransition, postAlerts } from '../../workers/lib/alertmanager.js';
import { DEVICE_ALERT_NAME } from '../../workers/shared/alert-rules.js';
import type { AlertEvent, AlertTransition } from '../../workers/shared/events.js';
import { committedEnvironment } from '../../stacks/config/committed.js';

const prod = committedEnvironment('prod');

const tiers = prod.observability.alerting.deviceAlertTiers;
let webhook: AlertWebhook;
let alertmanager: LocalAlertmanager | undefined;

before(async () => {
  webhook = await AlertWebhook.start();
  alertmanager = await LocalAlertmanager.start({
    name: 'alertmanager-test',
    port: 29_800 + Math.floor(Math.random() * 90),
    portEnvVar: 'none (a test port)',
    alerting: prod.observability.alerting,
    webhookBase: webhook.url,
    groupWait: '1s',
    groupInterval: '2s',
  });
});

after(async () => {
  await alertmanager?.stop();
  await webhook?.stop();
});

const event = (deviceId: string, transition: AlertTransition, level: number): AlertEvent => ({
  schemaVersion: 1,
  alertId: `alert:${deviceId}:temperature-high`,
  deviceId,
  rule: 'temperature-high',
  transition,
  sequence: level + 1,
  level,
  value: 91,
  at: Date.now(),
});

const tierNotices = (receiver: string, tier: number, status?: string) =>
  webhook
    .received(receiver, { alertname: DEVICE_ALERT_NAME, tier: String(tier) })
    .filter((n) => status === undefined || n.status === status);

void test('each tier of an unacknowledged alert reaches its receiver, and the resolution follows', async () => {
  const url = alertmanager!.url;
  await postAlerts(url, alertsForTransition(event('dev-1', 'raised', 0)));
  await eventually('raised → the platform channel', async () => tierNotices(tiers[0]!, 0).length > 0, 30_000);
  await postAlerts(url, alertsForTransition(event('dev-1', 'escalated', 1)));
  await eventually('tier 1 → the on-call pager', async () => tierNotices(tiers[1]!, 1).length > 0, 30_000);
  await eventually(
    'tier 0 ended when tier 1 began',
    async () => tierNotices(tiers[0]!, 0, 'resolved').length > 0,
    30_000,
  );
  await postAlerts(url, alertsForTransition(event('dev-1', 'escalated', 2)));
  await eventually('tier 2 → the team lead', async () => tierNotices(tiers[2]!, 2).length > 0, 30_000);
  // A retried activity posts the same transition again: Alertmanager keeps one alert, no new page.
  const before = tierNotices(tiers[2]!, 2, 'firing').length;
  await postAlerts(url, alertsForTransition(event('dev-1', 'escalated', 2)));
  await new Promise((r) => setTimeout(r, 4_000));
  assert.equal(tierNotices(tiers[2]!, 2, 'firing').length, before, 'a re-post paged again');
  await postAlerts(url, alertsForTransition(event('dev-1', 'resolved', 2)));
  await eventually(
    'the resolution reaches the team lead',
    async () => tierNotices(tiers[2]!, 2, 'resolved').length > 0,
    30_000,
  );
  assert.equal(tierNotices(tiers[3]!, 3).length, 0, 'the manager was never paged');
});

void test('an alert storm of 200 devices pages the on-call engineer once, with every device in it', async () => {
  const url = alertmanager!.url;
  const devices = Array.from({ length: 200 }, (_, i) => `storm-${i}`);
  const from = webhook.notifications.length;
  await postAlerts(
    url,
    devices.flatMap((d) => alertsForTransition(event(d, 'escalated', 1))),
  );
  const storm = () =>
    webhook.notifications
      .slice(from)
      .filter((n) => n.receiver === tiers[1] && n.alerts.some((a) => a.labels.device?.startsWith('storm-')));
  await eventually('the storm notified', async () => storm().length > 0, 30_000);
  await new Promise((r) => setTimeout(r, 3_000));
  const pages = storm();
  assert.equal(pages.length, 1, `${pages.length} pages for one storm`);
  const firing = pages[0]!.alerts.filter((a) => a.status === 'firing').map((a) => a.labels.device);
  assert.equal(new Set(firing).size, devices.length, 'every device in the one page');
});
