/**
 * Each environment's Alertmanager configuration (stacks/observability/alert-routing.ts, from its
 * alerting section) passes the pinned `amtool check-config`, and its routing tree sends each alert
 * where the environment says: device alerts by tier (raised, then each escalation, the last tier
 * keeping what lies beyond), the platform's rules by severity, kube-prometheus-stack's Watchdog
 * nowhere. Read by amtool from the file Alertmanager would load, not from our own data.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { run } from '../../local/lib/proc.js';
import { ensureGoTool } from '../../local/tools/go.js';
import { alertmanagerConfig } from '../../stacks/observability/alert-routing.js';
import { DEVICE_ALERT_NAME } from '../../workers/shared/alert-rules.js';
import { committedEnvironment } from '../../stacks/config/committed.js';

const dev = committedEnvironment('dev');
const staging = committedEnvironment('staging');
const prod = committedEnvironment('prod');

let amtool: string;
let dir: string;

before(async () => {
  amtool = await ensureGoTool('amtool');
  dir = mkdtempSync(join(tmpdir(), 'amtool-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The receiver amtool's routing test picks for an alert with these labels. */
async function receiverOf(file: string, labels: Record<string, string>): Promise<string> {
  const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return (await run(amtool, ['config', 'routes', 'test', `--config.file=${file}`, ...args])).trim();
}

for (const env of [dev, staging, prod]) {
  void test(`${env.name}: amtool accepts the configuration and routes each alert to its receiver`, async () => {
    const alerting = env.observability.alerting;
    const file = join(dir, `${env.name}.yml`);
    writeFileSync(file, stringify(alertmanagerConfig(alerting)));
    assert.match(await run(amtool, ['check-config', file]), /SUCCESS/);

    const tiers = alerting.deviceAlertTiers;
    for (const [tier, receiver] of tiers.entries())
      assert.equal(
        await receiverOf(file, {
          alertname: DEVICE_ALERT_NAME,
          tier: String(tier),
          rule: 'temperature-high',
        }),
        receiver,
        `tier ${tier}`,
      );
    assert.equal(
      await receiverOf(file, { alertname: DEVICE_ALERT_NAME, tier: String(tiers.length + 2) }),
      tiers.at(-1),
      'past the last tier, the last receiver keeps it',
    );
    assert.equal(
      await receiverOf(file, { alertname: 'SensorBridgeStalled', severity: 'critical' }),
      alerting.platform.critical,
    );
    assert.equal(
      await receiverOf(file, { alertname: 'SensorEventsParked', severity: 'warning' }),
      alerting.platform.warning,
    );
    assert.equal(await receiverOf(file, { alertname: 'Watchdog', severity: 'none' }), 'null');
  });
}

void test('a misrouted tree is caught: a tier routed to the wrong receiver fails the same check', async () => {
  const alerting = prod.observability.alerting;
  const file = join(dir, 'swapped.yml');
  const swapped = { ...alerting, deviceAlertTiers: [...alerting.deviceAlertTiers].reverse() };
  writeFileSync(file, stringify(alertmanagerConfig(swapped)));
  assert.notEqual(
    await receiverOf(file, { alertname: DEVICE_ALERT_NAME, tier: '1' }),
    alerting.deviceAlertTiers[1],
  );
});
