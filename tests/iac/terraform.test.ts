/**
 * Real terraform against the real API server: `terraform init` from a filesystem mirror of the
 * locally built kubernetes provider, `apply` of the dev environment's kubernetes resources
 * (kubernetes_*_v1 and kubernetes_manifest, helm_release removed: see lib/terraform.ts), a second
 * `plan -detailed-exitcode` that must report no changes, and `destroy`.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureKubeApi, lockKubeApiForTests, type KubeApi } from '../../local/kube/api.js';
import { KubeClient } from '../../local/kube/client.js';
import { ensureKubernetesProviderMirror } from '../../local/tools/go.js';
import { deleteNamespaces } from './lib/kube-apply.js';
import { LAYERS, synthToTemp, type Synthesized } from './lib/synth.js';
import { originalStatePath, planExitCode, prepareStack, terraform, terraformEnv } from './lib/terraform.js';
import { extractObjects, type ExtractedObject, type StackJson } from './lib/tf-to-kube.js';

const ENV = 'dev';
let api: KubeApi;
let client: KubeClient;
let synth: Synthesized;
let work: string;
let tfEnv: NodeJS.ProcessEnv;
const stacks: { name: string; dir: string; objects: ExtractedObject[] }[] = [];
/** Namespaces the removed helm releases would have created, made here so the rest can apply. */
const precreated: string[] = [];

/** Held for the whole file: see lockKubeApiForTests. */
let release: (() => void) | undefined;

before(async () => {
  release = await lockKubeApiForTests();
  api = await ensureKubeApi();
  client = new KubeClient(api);
  synth = await synthToTemp([ENV]);
  work = mkdtempSync(join(tmpdir(), 'iac-terraform-'));
  tfEnv = await terraformEnv(work);
  const { version } = await ensureKubernetesProviderMirror();
  const statePaths = new Map<string, string>();
  for (const layer of LAYERS) {
    const name = `${layer}-${ENV}`;
    const original = originalStatePath(synth.stacks.get(name) ?? {});
    if (original) statePaths.set(original, join(work, name, 'terraform.tfstate'));
  }
  for (const layer of LAYERS) {
    const name = `${layer}-${ENV}`;
    const stack = synth.stacks.get(name);
    assert.ok(stack, `stack ${name} was not synthesized`);
    const dir = join(work, name);
    const removed = await prepareStack(stack, {
      dir,
      kubeconfig: api.kubeconfig,
      providerVersion: version,
      statePaths,
    });
    if (removed.length)
      process.stderr.write(`[terraform] ${name}: not applied here: ${removed.join(', ')}\n`);
    const prepared = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as StackJson;
    stacks.push({ name, dir, objects: extractObjects(name, prepared) });
  }
  // Terraform creates these itself: a leftover from an earlier run would make its create fail.
  const declared = stacks.flatMap((s) => s.objects).filter((o) => o.object.kind === 'Namespace');
  await deleteNamespaces(
    client,
    declared.map((o) => o.object.metadata.name),
  );
});

after(async () => {
  if (client) await deleteNamespaces(client, precreated);
  synth?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  release?.();
});

void test(`${ENV}: platform and pipeline keep kubernetes_*_v1 and kubernetes_manifest resources to apply`, () => {
  const kept = stacks.filter((s) => /^(platform|pipeline)-/.test(s.name)).flatMap((s) => s.objects);
  assert.ok(
    kept.some((o) => o.source === 'typed'),
    'no kubernetes_*_v1 resource left to apply',
  );
  assert.ok(
    kept.some((o) => o.source === 'manifest'),
    'no kubernetes_manifest resource left to apply',
  );
});

void test(`${ENV}: terraform init installs the kubernetes provider from the local mirror`, async () => {
  for (const s of stacks) {
    const out = await terraform(s.dir, tfEnv, ['init', '-input=false']);
    assert.match(out, /Terraform has been successfully initialized/, `${s.name}:\n${out}`);
  }
});

void test(`${ENV}: terraform apply creates every object in the API server`, async () => {
  const declaredNamespaces = new Set(
    stacks
      .flatMap((s) => s.objects)
      .filter((o) => o.object.kind === 'Namespace')
      .map((o) => o.object.metadata.name),
  );
  for (const o of stacks.flatMap((s) => s.objects)) {
    const ns = o.object.metadata.namespace;
    if (ns && !declaredNamespaces.has(ns) && !precreated.includes(ns)) {
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      precreated.push(ns);
    }
  }
  for (const s of stacks) {
    await terraform(s.dir, tfEnv, ['apply', '-auto-approve', '-input=false']);
    for (const o of s.objects) {
      assert.ok(
        await client.get(o.object),
        `${s.name}: ${o.address} applied but ${o.object.kind} ${o.object.metadata.name} is not in the API server`,
      );
    }
  }
});

void test(`${ENV}: a second plan shows no changes`, async () => {
  for (const s of stacks) {
    const { code, output } = await planExitCode(s.dir, tfEnv);
    assert.equal(code, 0, `${s.name}: plan -detailed-exitcode exited ${code}:\n${output}`);
  }
});

void test(`${ENV}: terraform destroy removes every object, namespaces included`, async () => {
  for (const s of [...stacks].reverse())
    await terraform(s.dir, tfEnv, ['destroy', '-auto-approve', '-input=false']);
  const all = stacks.flatMap((s) => s.objects);
  const deadline = Date.now() + 120_000;
  for (const o of all) {
    while ((await client.get(o.object)) !== undefined) {
      assert.ok(
        Date.now() < deadline,
        `${o.address}: ${o.object.kind} ${o.object.metadata.name} still exists after destroy`,
      );
      await sleep(500);
    }
  }
});
