/**
 * The alerting rules the observability stack ships pass `promtool check rules` (PromQL parses,
 * durations and templates are valid, no duplicate alerts), and the PrometheusRule the stack applies
 * carries exactly those groups.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { run } from '../../local/lib/proc.js';
import { ensureGoTool } from '../../local/tools/go.js';
import { DEFAULT_THRESHOLDS, ruleGroups } from '../../stacks/observability/rules.js';
import { BRIDGE_METRICS } from '../../workers/shared/metrics.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';
import { ENVIRONMENTS, synthToTemp, type Synthesized } from './lib/synth.js';
import { extractObjects } from './lib/tf-to-kube.js';

let promtool: string;
let dir: string;

before(async () => {
  promtool = await ensureGoTool('promtool');
  dir = mkdtempSync(join(tmpdir(), 'promtool-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function check(groups: unknown): Promise<{ ok: boolean; output: string }> {
  const file = join(dir, `rules-${Date.now()}-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify({ groups }));
  try {
    return { ok: true, output: await run(promtool, ['check', 'rules', file]) };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}

void test('every exported rule group passes promtool check rules', async () => {
  const groups = ruleGroups();
  const count = groups.reduce((n, g) => n + g.rules.length, 0);
  assert.ok(count > 0, 'no rules exported');
  const { ok, output } = await check(groups);
  assert.ok(ok, output);
  assert.match(output, new RegExp(`SUCCESS: ${count} rules found`));
});

void test('promtool rejects a rule whose PromQL does not parse (control)', async () => {
  const [first] = ruleGroups();
  assert.ok(first?.rules[0]);
  const broken = [{ ...first, rules: [{ ...first.rules[0], expr: `sum(rate(${first.rules[0].expr}` }] }];
  const { ok, output } = await check(broken);
  assert.equal(ok, false, `promtool accepted a broken expression:\n${output}`);
});

void test('the PrometheusRule of every environment carries the checked groups', async () => {
  const synth: Synthesized = await synthToTemp();
  try {
    for (const env of ENVIRONMENTS) {
      const name = `observability-${env}`;
      const stack = synth.stacks.get(name);
      assert.ok(stack, `${name} not synthesized`);
      const rules = extractObjects(name, stack).filter((o) => o.object.kind === 'PrometheusRule');
      assert.ok(rules.length > 0, `${name} has no PrometheusRule`);
      const applied = rules.flatMap((r) => (r.object.spec as { groups: unknown[] }).groups);
      const { ok, output } = await check(applied);
      assert.ok(ok, `${name}:\n${output}`);
      const names = (gs: { name: string }[]) => gs.map((g) => g.name).sort();
      assert.deepEqual(
        names(applied as { name: string }[]),
        names(ruleGroups()),
        `${name}: groups differ from ruleGroups()`,
      );
    }
  } finally {
    synth.cleanup();
  }
});

/**
 * `promtool test rules` on the retention alerts (issue 23, finding 6), with sensor-data kept 24 h: a
 * bridge stopped at offset 0 while 10 records/s arrive. The near-retention alert must fire with hours
 * to spare before a record can be deleted under the bridge (24 h), and a counted gap must fire the gap
 * alert. Annotations are left out of the file: promtool compares them verbatim, the labels are the point.
 */
void test('promtool unit test: the backlog alert fires long before a retention gap, a gap fires at once', async () => {
  const retentionSeconds = 24 * 3600;
  const groups = ruleGroups({ ...DEFAULT_THRESHOLDS, bridgeBacklogAgeSeconds: retentionSeconds / 2 }).map(
    (g) => ({ ...g, rules: g.rules.map(({ annotations: _annotations, ...rule }) => rule) }),
  );
  const rulesFile = join(dir, 'retention-rules.yaml');
  writeFileSync(rulesFile, stringify({ groups }));
  const lag = `kafka_consumergroup_lag{consumergroup="${BRIDGE_CONSUMER_GROUP}",topic="${TOPICS.sensorData}",partition="0"}`;
  const alert = (name: string, labels: Record<string, string>) => ({
    alertname: name,
    exp_alerts: [{ exp_labels: { severity: 'critical', ...labels } }],
  });
  const tests = {
    rule_files: [rulesFile],
    evaluation_interval: '1m',
    tests: [
      {
        // Scraped every minute: an instant selector sees a sample up to 5 minutes old.
        interval: '1m',
        input_series: [
          // 10 records/s = 600 a minute; the stopped bridge's lag grows as fast.
          {
            series: `kafka_topic_partition_current_offset{topic="${TOPICS.sensorData}",partition="0"}`,
            values: '0+600x1800',
          },
          { series: lag, values: '0+600x1800' },
          { series: BRIDGE_METRICS.retentionGapRecords, values: '0x1500 25x300' },
        ],
        alert_rule_test: [
          // 11 h behind: nothing yet.
          { eval_time: '11h', alertname: 'SensorBridgeBacklogNearRetention', exp_alerts: [] },
          // Past half the retention (12 h) for 15 minutes: firing, with 11 h left before deletion.
          { eval_time: '13h', ...alert('SensorBridgeBacklogNearRetention', { partition: '0' }) },
          { eval_time: '24h', ...alert('SensorBridgeBacklogNearRetention', { partition: '0' }) },
          { eval_time: '24h', alertname: 'SensorBridgeRetentionGap', exp_alerts: [] },
          // The bridge counted a gap (at 25 h): the gap alert fires.
          { eval_time: '25h30m', ...alert('SensorBridgeRetentionGap', {}) },
        ],
      },
    ],
  };
  const testFile = join(dir, 'retention-rules.test.yaml');
  writeFileSync(testFile, stringify(tests));
  const output = await run(promtool, ['test', 'rules', testFile]).catch((err: Error) => err.message);
  assert.match(output, /SUCCESS/, output);
});
