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
import { ruleGroups } from '../../stacks/observability/rules.js';
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
