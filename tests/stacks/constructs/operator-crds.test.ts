/**
 * Every operator's CRDs go through `kubernetes_manifest` at the operator's pinned version, before its
 * chart, whose own CRDs are off (stacks/constructs/operator-release.ts, stacks/lib/operator-crds.ts).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { parse } from 'yaml';
import type { Construct } from 'constructs';
import { crdCacheRoot, ensureCrdFiles, readCrdObjects } from '../../../local/kube/crds.js';
import { operatorCrdsRoot } from '../../../stacks/config/paths.js';
import { ApproverPolicyOperator } from '../../../stacks/constructs/approver-policy-operator.js';
import { BarmanCloudPlugin } from '../../../stacks/constructs/barman-cloud-plugin.js';
import { CertManagerOperator } from '../../../stacks/constructs/cert-manager-operator.js';
import { CnpgOperator } from '../../../stacks/constructs/cnpg-operator.js';
import { KedaOperator } from '../../../stacks/constructs/keda-operator.js';
import { KubePrometheusStack } from '../../../stacks/constructs/kube-prometheus-stack.js';
import { StrimziOperator } from '../../../stacks/constructs/strimzi-operator.js';
import { CRD_VERSION_ANNOTATION } from '../../../stacks/lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorName } from '../../../stacks/lib/operator-pins.js';
import { manifests, only, resources, synth, type Loose, type TfJson } from '../helpers.js';

before(async () => {
  await ensureCrdFiles();
});

interface Case {
  readonly operator: OperatorName;
  readonly build: (scope: Construct, adoptExistingCrds?: boolean) => void;
  /** The chart value that turns the chart's own CRD templates off (none: the CRDs sit in `crds/`). */
  readonly chartCrdsOff?: (values: Loose) => unknown;
}

const CASES: readonly Case[] = [
  {
    operator: 'strimzi',
    build: (s, adoptExistingCrds) =>
      new StrimziOperator(s, 'o', { watchNamespaces: ['kafka'], adoptExistingCrds }),
  },
  {
    operator: 'cloudnative-pg',
    build: (s, adoptExistingCrds) => new CnpgOperator(s, 'o', { adoptExistingCrds }),
    chartCrdsOff: (v) => v.crds.create,
  },
  {
    operator: 'keda',
    build: (s, adoptExistingCrds) => new KedaOperator(s, 'o', { adoptExistingCrds }),
    chartCrdsOff: (v) => v.crds.install,
  },
  {
    operator: 'prometheus-operator',
    build: (s, adoptExistingCrds) =>
      new KubePrometheusStack(s, 'o', { nodeExporterNamespace: 'mon-host', adoptExistingCrds }),
    chartCrdsOff: (v) => v.crds.enabled,
  },
  {
    operator: 'cert-manager',
    build: (s, adoptExistingCrds) => new CertManagerOperator(s, 'o', { adoptExistingCrds }),
    chartCrdsOff: (v) => v.crds.enabled,
  },
  {
    operator: 'approver-policy',
    build: (s, adoptExistingCrds) =>
      new ApproverPolicyOperator(s, 'o', {
        approveSignerNames: ['clusterissuers.cert-manager.io/ca'],
        adoptExistingCrds,
      }),
    chartCrdsOff: (v) => v.crds.enabled,
  },
  {
    operator: 'plugin-barman-cloud',
    build: (s, adoptExistingCrds) => new BarmanCloudPlugin(s, 'o', { adoptExistingCrds }),
    chartCrdsOff: (v) => v.crds.create,
  },
];

/** Terraform's reading of a string in JSON syntax: `$${` and `%%{` are the literal `${` and `%{`. */
function unescape(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll('$${', () => '${').replaceAll('%%{', () => '%{');
  if (Array.isArray(value)) return value.map(unescape);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [unescape(k), unescape(v)]));
  return value;
}

/** A value without empty strings, lists and maps anywhere: what is left is the content. */
function content(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(content);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, content(v)] as const)
      .filter(([, v]) => !(v === '' || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)));
    return Object.fromEntries(entries);
  }
  return value;
}

function release(json: TfJson): Loose {
  return only(resources(json, 'helm_release'), 'helm_release') as Loose;
}

for (const c of CASES) {
  void test(`${c.operator}: its CRDs at ${OPERATOR_PINS[c.operator].appVersion}, applied before the chart, whose CRDs are off`, () => {
    const json = synth((s) => c.build(s));
    const pin = OPERATOR_PINS[c.operator];
    const published = readCrdObjects(c.operator, pin.appVersion);
    const crds = manifests(json, 'CustomResourceDefinition');
    assert.deepEqual(crds.map((m) => m.metadata.name).sort(), published.map((m) => m.metadata.name).sort());
    for (const crd of crds) {
      const original = published.find((p) => p.metadata.name === crd.metadata.name)!;
      // What terraform reads is the published schema (less the empty fields the API server drops).
      assert.deepEqual(content((unescape(crd) as Loose).spec), content(original.spec), crd.metadata.name);
      assert.equal(crd.metadata.annotations?.[CRD_VERSION_ANNOTATION], `${c.operator} ${pin.appVersion}`);
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      assert.ok(
        !JSON.stringify(crd).match(/(?<!\$)\$\{|(?<!%)%\{/),
        `${crd.metadata.name}: unescaped template`,
      );
    }
    const r = release(json);
    assert.equal(r.skip_crds, true);
    assert.equal(r.version, pin.version);
    const crdAddresses = Object.entries(json.resource?.kubernetes_manifest ?? {})
      .filter(([, body]) => (body.manifest as Loose).kind === 'CustomResourceDefinition')
      .map(([name]) => `kubernetes_manifest.${name}`);
    assert.deepEqual(
      (r.depends_on as string[]).filter((d) => d.startsWith('kubernetes_manifest.')).sort(),
      crdAddresses.sort(),
      'the chart waits for every CRD',
    );
    if (c.chartCrdsOff) assert.equal(c.chartCrdsOff(parse(r.values[0] as string) as Loose), false);
  });
}

void test('synth reads the CRDs from the folder the fetcher writes them to', () => {
  assert.equal(operatorCrdsRoot(), crdCacheRoot());
});

void test('adoptExistingCrds imports each CRD by name; by default nothing is imported', () => {
  const keda = CASES.find((c) => c.operator === 'keda')!;
  assert.equal(synth((s) => keda.build(s)).import, undefined);
  const imports = synth((s) => keda.build(s, true)).import as { id: string; to: string }[];
  const names = readCrdObjects('keda', OPERATOR_PINS.keda.appVersion).map((c) => c.metadata.name);
  assert.deepEqual(
    imports.map((i) => i.id).sort(),
    names.map((n) => `apiVersion=apiextensions.k8s.io/v1,kind=CustomResourceDefinition,name=${n}`).sort(),
  );
  for (const i of imports) assert.match(i.to, /^kubernetes_manifest\./);
});

void test('a pin names the CRDs: another operator version synthesizes that version’s CRDs', async () => {
  const { ensureCrdSet } = await import('../../../local/kube/crds.js');
  await ensureCrdSet('keda', '2.19.0');
  const json = synth(
    (s) =>
      new KedaOperator(s, 'o', { pin: { ...OPERATOR_PINS.keda, version: '2.19.0', appVersion: '2.19.0' } }),
  );
  const crd = manifests(json, 'CustomResourceDefinition').find(
    (m) => m.metadata.name === 'triggerauthentications.keda.sh',
  )!;
  assert.equal(crd.metadata.annotations?.[CRD_VERSION_ANNOTATION], 'keda 2.19.0');
  assert.equal(release(json).version, '2.19.0');
});
