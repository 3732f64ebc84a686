/**
 * Policy scan of everything we render: the Kubernetes objects every environment's stacks emit
 * (kubernetes_manifest and kubernetes_*_v1, converted as the provider sends them), our two charts as
 * the pipeline stacks install them (their helm_release values) and under every ci/*.yaml value set.
 * Scanner: checkov (pinned in local/tools/versions.ts), Kubernetes checks. Every finding must be
 * fixed or accepted with a reason in tests/iac/policy-accepted.ts (docs/iac-verification.md); an
 * unaccepted finding fails, an acceptance that no longer matches anything fails too.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { stringify } from 'yaml';
import { repoRoot } from '../../local/lib/paths.js';
import { ensurePythonTool } from '../../local/tools/python.js';
import { helmTemplate, OUR_CHARTS, renderOurReleases } from './lib/helm-render.js';
import { scanManifests, type Finding, type ScanResult } from './lib/policy-scan.js';
import { synthToTemp, type Synthesized } from './lib/synth.js';
import { extractAll, type KubeObject } from './lib/tf-to-kube.js';
import { ACCEPTED, acceptanceFor } from './policy-accepted.js';

let checkov: string;
let synth: Synthesized;
let dir: string;
let result: ScanResult;
/** Upstream helm_release charts that cannot be rendered here (their repositories are unreachable). */
const unrendered = new Set<string>();

function writeObjects(file: string, objects: readonly KubeObject[]): void {
  mkdirSync(join(dir, ...file.split('/').slice(0, -1)), { recursive: true });
  writeFileSync(join(dir, file), objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
}

before(async () => {
  checkov = await ensurePythonTool('checkov');
  synth = await synthToTemp();
  dir = mkdtempSync(join(tmpdir(), 'policy-manifests-'));
  for (const [name, stack] of synth.stacks) {
    const { objects, errors } = extractAll(name, stack);
    assert.deepEqual(errors, [], `${name}: objects that cannot be formed`);
    writeObjects(
      `stacks/${name}.yaml`,
      objects.map((o) => o.object),
    );
    for (const release of await renderOurReleases(stack, unrendered))
      writeObjects(`releases/${name}-${release.id}.yaml`, release.objects);
  }
  for (const chart of OUR_CHARTS) {
    const ci = join(repoRoot, 'charts', chart, 'ci');
    for (const file of readdirSync(ci).filter((f) => /\.ya?ml$/.test(f))) {
      writeObjects(`charts/${chart}-${file}`, await helmTemplate(chart, 'chart-ci', ['-f', join(ci, file)]));
    }
  }
  result = await scanManifests(checkov, dir);
});

after(() => {
  synth?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function describe(f: Finding): string {
  return `${f.checkId} ${f.resource} (${f.file}): ${f.checkName}`;
}

void test('every rendered manifest is scanned: stacks of all environments, our charts as released and under ci values', (t) => {
  const files = readdirSync(dir, { recursive: true }).map(String);
  assert.ok(
    files.some((f) => f.startsWith('stacks/pipeline-prod')),
    'prod pipeline stack not rendered',
  );
  assert.ok(
    files.some((f) => f.startsWith('releases/pipeline-prod')),
    'the pipeline stack installs our charts, but none was rendered from its helm_release values',
  );
  assert.equal(result.parsingErrors, 0, 'the scanner could not parse some manifests');
  assert.ok(result.resources > 100, `only ${result.resources} resources scanned`);
  t.diagnostic(
    `${result.resources} resources, ${result.passed} checks passed, ${result.findings.length} failed`,
  );
  t.diagnostic(
    `not rendered here (upstream charts, values pinned in the stacks): ${[...unrendered].sort().join(', ')}`,
  );
});

void test('policy scan: 0 findings that are not accepted with a reason', (t) => {
  const unaccepted: Finding[] = [];
  const accepted = new Map<string, number>();
  for (const f of result.findings) {
    const a = acceptanceFor(f);
    if (a) accepted.set(`${f.checkId} ${a.reason}`, (accepted.get(`${f.checkId} ${a.reason}`) ?? 0) + 1);
    else unaccepted.push(f);
  }
  for (const [what, count] of [...accepted].sort()) t.diagnostic(`accepted x${count}: ${what}`);
  assert.equal(unaccepted.length, 0, `findings:\n${unaccepted.map(describe).join('\n')}`);
});

void test('every acceptance still matches a finding (no stale exceptions)', () => {
  const stale = ACCEPTED.filter((a) => !result.findings.some((f) => acceptanceFor(f) === a));
  assert.deepEqual(
    stale.map((a) => `${a.checkId} ${a.resource.source}`),
    [],
    'acceptances that match nothing: remove them',
  );
});

void test('control: an insecure Deployment is reported and not accepted', async () => {
  const bad = mkdtempSync(join(tmpdir(), 'policy-bad-'));
  try {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'insecure', namespace: 'sensor-pipeline' },
      spec: {
        selector: { matchLabels: { app: 'insecure' } },
        template: {
          metadata: { labels: { app: 'insecure' } },
          spec: {
            hostNetwork: true,
            containers: [{ name: 'c', image: 'busybox:latest', securityContext: { privileged: true } }],
          },
        },
      },
    };
    writeFileSync(join(bad, 'insecure.yaml'), stringify(deployment));
    const got = await scanManifests(checkov, bad);
    const ids = new Set(got.findings.map((f) => f.checkId));
    // CKV_K8S_16: privileged container; CKV_K8S_19: host network.
    for (const id of ['CKV_K8S_16', 'CKV_K8S_19']) assert.ok(ids.has(id), `${id} not reported`);
    const acceptedHere = got.findings.filter(
      (f) => ['CKV_K8S_16', 'CKV_K8S_19'].includes(f.checkId) && acceptanceFor(f),
    );
    assert.deepEqual(
      acceptedHere.map(describe),
      [],
      'privileged/host-network findings must never be accepted',
    );
  } finally {
    rmSync(bad, { recursive: true, force: true });
  }
});
