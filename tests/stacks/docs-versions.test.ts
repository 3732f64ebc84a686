/**
 * Versions live in the pin files (stacks/lib/operator-pins.ts, local/versions.ts, the Temporal chart
 * table) and on one page that explains them (docs/versions.md), which must state each pin as the
 * files do. Anywhere else in the docs a pinned version next to its component's name is a copy that a
 * bump would leave behind: the docs name the component and link to docs/versions.md.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';
import { VERSIONS } from '../../local/versions.js';
import { OPERATOR_PINS, type OperatorName } from '../../stacks/lib/operator-pins.js';
import { TEMPORAL_CHARTS } from '../../stacks/lib/temporal-releases.js';

/** How the docs name each operator pin (a new pin needs its name here). */
const OPERATOR_NAMES: Record<OperatorName, string> = {
  strimzi: 'Strimzi',
  'cloudnative-pg': 'CloudNativePG',
  keda: 'KEDA',
  'prometheus-operator': 'kube-prometheus-stack',
  'cert-manager': 'cert-manager',
  'approver-policy': 'approver-policy',
  'plugin-barman-cloud': 'Barman Cloud plugin',
};

interface Pin {
  readonly name: string;
  readonly versions: readonly string[];
}

const bare = (v: string) => v.replace(/^v/, '');

function pins(): Pin[] {
  const operators = Object.entries(OPERATOR_PINS).map(([key, pin]) => ({
    name: OPERATOR_NAMES[key as OperatorName],
    versions: [...new Set([bare(pin.version), bare(pin.appVersion)])],
  }));
  return [
    ...operators,
    { name: 'Kafka', versions: [VERSIONS.kafka] },
    { name: 'Temporal', versions: [VERSIONS.temporalServer] },
    { name: 'Temporal chart', versions: [TEMPORAL_CHARTS[VERSIONS.temporalServer]!] },
    { name: 'Temporal CLI', versions: [VERSIONS.temporalCli] },
    { name: 'Web UI', versions: [VERSIONS.temporalUi] },
  ];
}

/** Lines where a pinned version follows its component's name closely: a restated version. */
function restatedVersions(text: string, list: readonly Pin[]): string[] {
  const found: string[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    for (const { name, versions } of list) {
      for (const v of versions) {
        const near = new RegExp(
          `${name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}[^|\\n]{0,40}?\\bv?${v.replace(/\./g, '\\.')}\\b`,
        );
        if (near.test(line)) found.push(`line ${i + 1}: ${name} ${v}: ${line.trim().slice(0, 100)}`);
      }
    }
  }
  return found;
}

void test('every operator pin has the name the docs use for it', () => {
  for (const key of Object.keys(OPERATOR_PINS)) assert.ok(OPERATOR_NAMES[key as OperatorName], key);
});

void test('docs/versions.md states every pin as the pin files do', () => {
  const page = readFileSync(join(repoRoot, 'docs', 'versions.md'), 'utf8');
  for (const { name, versions } of pins()) {
    const rows = page.split('\n').filter((l) => l.startsWith('|') && l.includes(name));
    assert.ok(rows.length > 0, `docs/versions.md has no row for ${name}`);
    for (const v of versions)
      assert.ok(
        rows.some((r) => new RegExp(`\\bv?${v.replace(/\./g, '\\.')}\\b`).test(r)),
        `docs/versions.md: no row for ${name} says ${v}`,
      );
  }
});

void test('no other page restates a pinned version next to its component (README, docs/)', () => {
  const pages = [
    'README.md',
    ...readdirSync(join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md') && f !== 'versions.md')
      .map((f) => join('docs', f)),
  ];
  const problems = pages.flatMap((page) =>
    restatedVersions(readFileSync(join(repoRoot, page), 'utf8'), pins()).map((p) => `${page} ${p}`),
  );
  assert.deepEqual(problems, [], 'name the component and link to docs/versions.md instead');
});

void test('control: a restated pin is found, a mere mention is not', () => {
  const keda = pins().filter((p) => p.name === 'KEDA');
  assert.equal(restatedVersions(`installs KEDA ${OPERATOR_PINS.keda.appVersion} first`, keda).length, 1);
  assert.equal(restatedVersions('installs KEDA (versions: docs/versions.md)', keda).length, 0);
});
