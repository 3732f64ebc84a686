/**
 * CRDs follow the operators, with real terraform against the real API server: the operators' CRD
 * manifests (stacks/constructs/operator-release.ts) adopt the CRDs already installed
 * (adoptExistingCrds: import, then server-side apply), a second plan of every operator's CRDs shows
 * no changes, and a bump of one operator's pin is a plan diff of exactly its CRDs, after which the
 * API server serves the new schema: a field the new release adds, refused by strict validation
 * before, is accepted.
 *
 * The bump goes from KEDA 2.19.0 to the pinned release, which adds `spec.podIdentity.externalID` to
 * TriggerAuthentication; the API server ends on the pinned CRDs, as the other tests expect.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { HelmProvider } from '@cdktf/provider-helm/lib/provider/index.js';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { App, TerraformStack } from 'cdktf';
import { ensureKubeApi, lockKubeApiForTests } from '../../local/kube/api.js';
import { KubeApiError, KubeClient, type KubeObject } from '../../local/kube/client.js';
import { ensureCrdFiles, ensureCrdSet, readCrdObjects } from '../../local/kube/crds.js';
import { ensureKubernetesProviderMirror } from '../../local/tools/go.js';
import { ApproverPolicyOperator } from '../../stacks/constructs/approver-policy-operator.js';
import { BarmanCloudPlugin } from '../../stacks/constructs/barman-cloud-plugin.js';
import { CertManagerOperator } from '../../stacks/constructs/cert-manager-operator.js';
import { CnpgOperator } from '../../stacks/constructs/cnpg-operator.js';
import { KedaOperator } from '../../stacks/constructs/keda-operator.js';
import { KubePrometheusStack } from '../../stacks/constructs/kube-prometheus-stack.js';
import { StrimziOperator } from '../../stacks/constructs/strimzi-operator.js';
import { OPERATOR_NAMES, OPERATOR_PINS, type OperatorPin } from '../../stacks/lib/operator-pins.js';
import { planExitCode, prepareStack, terraform, terraformEnv } from './lib/terraform.js';
import type { StackJson } from './lib/tf-to-kube.js';

const OLD_KEDA: OperatorPin = { ...OPERATOR_PINS.keda, version: '2.19.0', appVersion: '2.19.0' };
const TRIGGER_AUTH_CRD = 'triggerauthentications.keda.sh';

/** A TriggerAuthentication that uses the field KEDA 2.20 added. */
const PROBE: KubeObject = {
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'TriggerAuthentication',
  metadata: { name: 'crd-upgrade-probe', namespace: 'default' },
  spec: {
    podIdentity: { provider: 'aws', roleArn: 'arn:aws:iam::123456789012:role/probe', externalID: 'probe' },
  },
};

let client: KubeClient;
let kubeconfig: string;
let work: string;
let tfEnv: NodeJS.ProcessEnv;
let providerVersion: string;
let release: (() => void) | undefined;

/**
 * The operators layer's six operator constructs alone (their CRDs and charts), or KEDA alone, KEDA
 * at `kedaPin`, synthesized and prepared for terraform in the folder `name`.
 */
async function synthOperators(
  name: string,
  opts: { kedaPin?: OperatorPin; kedaOnly?: boolean; adoptExistingCrds: boolean },
): Promise<string> {
  const { adoptExistingCrds } = opts;
  const outdir = join(work, `synth-${name}-${opts.kedaPin?.appVersion ?? 'pinned'}`);
  const app = new App({ outdir });
  const stack = new TerraformStack(app, 'operators');
  new KubernetesProvider(stack, 'kubernetes', {});
  new HelmProvider(stack, 'helm', {});
  new KedaOperator(stack, 'keda', { ...(opts.kedaPin ? { pin: opts.kedaPin } : {}), adoptExistingCrds });
  if (!opts.kedaOnly) {
    new StrimziOperator(stack, 'strimzi', { watchNamespaces: ['kafka'], adoptExistingCrds });
    new CnpgOperator(stack, 'cnpg', { adoptExistingCrds });
    new KubePrometheusStack(stack, 'kps', { nodeExporterNamespace: 'mon-host', adoptExistingCrds });
    new CertManagerOperator(stack, 'cert-manager', { adoptExistingCrds });
    new ApproverPolicyOperator(stack, 'approver-policy', {
      approveSignerNames: ['clusterissuers.cert-manager.io/ca'],
      adoptExistingCrds,
    });
    new BarmanCloudPlugin(stack, 'barman-cloud', { adoptExistingCrds });
  }
  app.synth();
  const json = JSON.parse(
    readFileSync(join(outdir, 'stacks', 'operators', 'cdk.tf.json'), 'utf8'),
  ) as StackJson;
  // CRDs only: the releases go (prepareStack), and with them the Secrets they read (Grafana's admin),
  // whose namespaces the operators layer creates apart from these constructs.
  delete json.resource?.kubernetes_secret_v1;
  const dir = join(work, name);
  await prepareStack(json, { dir, kubeconfig, providerVersion, statePaths: new Map(), keepCrds: true });
  return dir;
}

/** Whether strict validation accepts the probe; retried briefly, as a new schema takes a moment to serve. */
async function probeAccepted(expected: boolean): Promise<boolean> {
  let accepted = false;
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await client.apply(PROBE, { dryRun: true });
      accepted = true;
    } catch (err) {
      if (!(err instanceof KubeApiError)) throw err;
      accepted = false;
    }
    if (accepted === expected) break;
    await sleep(250);
  }
  return accepted;
}

async function servedPodIdentityFields(): Promise<string[]> {
  const crd = (await client.get({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: TRIGGER_AUTH_CRD },
  })) as unknown as {
    spec: { versions: { schema: { openAPIV3Schema: { properties: Record<string, any> } } }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const spec = crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec;
  return Object.keys(spec.properties.podIdentity.properties as object).sort();
}

before(async () => {
  release = await lockKubeApiForTests();
  const api = await ensureKubeApi();
  client = new KubeClient(api);
  kubeconfig = api.kubeconfig;
  await ensureCrdFiles();
  await ensureCrdSet('keda', OLD_KEDA.appVersion);
  work = mkdtempSync(join(tmpdir(), 'iac-crd-upgrade-'));
  tfEnv = await terraformEnv(work);
  providerVersion = (await ensureKubernetesProviderMirror()).version;
});

after(async () => {
  // Whatever happened, leave the API server serving the pinned KEDA CRDs.
  if (client) {
    for (const crd of readCrdObjects('keda', OPERATOR_PINS.keda.appVersion))
      await client.apply(crd, { fieldManager: 'local-kube' });
  }
  if (work) rmSync(work, { recursive: true, force: true });
  release?.();
});

void test('adopting: terraform imports every operator’s installed CRDs, applies them, and a second plan shows no changes', async () => {
  const dir = await synthOperators('all', { adoptExistingCrds: true });
  await terraform(dir, tfEnv, ['init', '-input=false']);
  const out = await terraform(dir, tfEnv, ['apply', '-auto-approve', '-input=false']);
  const crdCount = OPERATOR_NAMES.map((o) => readCrdObjects(o, OPERATOR_PINS[o].appVersion).length).reduce(
    (a, b) => a + b,
    0,
  );
  assert.match(
    out,
    new RegExp(`Apply complete! Resources: ${crdCount} imported, 0 added, \\d+ changed, 0 destroyed`),
    out.slice(-2000),
  );
  const { code, output } = await planExitCode(dir, tfEnv);
  assert.equal(code, 0, `a second plan is not empty:\n${output.slice(-3000)}`);
});

void test('a bump of the KEDA pin is a plan diff of its CRDs alone; applied, the API server serves the new schema', async () => {
  // KEDA alone, in its own state: adopted at 2.19.0 first.
  const old = await synthOperators('keda', { kedaPin: OLD_KEDA, kedaOnly: true, adoptExistingCrds: true });
  await terraform(old, tfEnv, ['init', '-input=false']);
  await terraform(old, tfEnv, ['apply', '-auto-approve', '-input=false']);
  assert.ok(!(await servedPodIdentityFields()).includes('externalID'));
  assert.equal(await probeAccepted(false), false, 'KEDA 2.19.0 CRDs accepted spec.podIdentity.externalID');

  const dir = await synthOperators('keda', { kedaOnly: true, adoptExistingCrds: false });
  const { code, output } = await planExitCode(dir, tfEnv);
  assert.equal(code, 2, `the bump planned no change:\n${output.slice(-2000)}`);
  const changed = [...output.matchAll(/# (kubernetes_manifest\.\S+) will be updated in-place/g)].map(
    (m) => m[1]!,
  );
  const kedaCrds = readCrdObjects('keda', OPERATOR_PINS.keda.appVersion).length;
  assert.equal(
    changed.length,
    kedaCrds,
    `expected the ${kedaCrds} KEDA CRDs to change, got: ${changed.join(', ')}`,
  );
  assert.match(output, /Plan: 0 to add, \d+ to change, 0 to destroy/);
  assert.ok(
    output.includes(`"keda ${OLD_KEDA.appVersion}" -> "keda ${OPERATOR_PINS.keda.appVersion}"`),
    'the plan names the versions',
  );
  await terraform(dir, tfEnv, ['apply', '-auto-approve', '-input=false']);
  assert.ok((await servedPodIdentityFields()).includes('externalID'));
  assert.equal(await probeAccepted(true), true, 'the bumped CRD still refuses spec.podIdentity.externalID');
  const again = await planExitCode(dir, tfEnv);
  assert.equal(again.code, 0, `a plan after the bump is not empty:\n${again.output.slice(-3000)}`);
});
