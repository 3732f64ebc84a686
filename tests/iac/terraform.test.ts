/**
 * Real terraform against the real API server: `terraform init` from a filesystem mirror of the
 * locally built kubernetes provider, `apply` of the dev environment's kubernetes resources
 * (kubernetes_*_v1 and kubernetes_manifest, helm_release removed: see lib/terraform.ts), a second
 * `plan -detailed-exitcode` that must report no changes, and `destroy`.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureKubeApi, lockKubeApiForTests, type KubeApi } from '../../local/kube/api.js';
import { KubeApiError, KubeClient } from '../../local/kube/client.js';
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

/** A Secret's value as the API server holds it. */
async function secretValue(namespace: string, name: string, key: string): Promise<string> {
  const s = (await client.get({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } })) as
    { data?: Record<string, string> } | undefined;
  const encoded = s?.data?.[key];
  assert.ok(encoded, `Secret ${namespace}/${name} has no ${key}`);
  return Buffer.from(encoded, 'base64').toString();
}

void test(`${ENV}: no secret value is kept in state; each role's copy holds the source's value`, async () => {
  const values = [
    await secretValue('postgres', 'sensor-pg-sensor', 'password'),
    await secretValue('postgres', 'sensor-pg-temporal', 'password'),
    await secretValue('monitoring', 'grafana-admin', 'admin-password'),
  ];
  assert.equal(await secretValue('sensor-pipeline', 'sensor-pg-sensor', 'password'), values[0]);
  assert.equal(await secretValue('temporal', 'sensor-pg-temporal', 'password'), values[1]);
  assert.equal(new Set(values).size, 3, 'every secret has its own value');
  for (const s of stacks) {
    for (const file of readdirSync(s.dir).filter((f) => f.endsWith('.tfstate'))) {
      const state = readFileSync(join(s.dir, file), 'utf8');
      for (const v of values) {
        assert.ok(!state.includes(v), `${s.name}/${file} holds a secret value`);
        assert.ok(!state.includes(Buffer.from(v).toString('base64')), `${s.name}/${file} holds it encoded`);
      }
    }
  }
});

/** A kubeconfig for the plan reader's ServiceAccount (a token from the TokenRequest API). */
async function planReaderKubeconfig(): Promise<{ file: string; reader: KubeClient }> {
  const res = await client.json<{ status: { token: string } }>(
    'POST',
    '/api/v1/namespaces/operators/serviceaccounts/platform-plan-reader/token',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } },
  );
  const token = res.status.token;
  const file = join(work, 'plan-reader.kubeconfig');
  writeFileSync(file, readFileSync(api.kubeconfig, 'utf8').replace(/token: .*/, `token: ${token}`), {
    mode: 0o600,
  });
  return { file, reader: new KubeClient({ ...api, token }) };
}

void test(`${ENV}: the pull-request plan identity reads every object the stacks manage and no Secret`, async () => {
  const { file, reader } = await planReaderKubeconfig();
  const objects = stacks.flatMap((s) => s.objects);
  for (const o of objects) {
    const read = reader.get(o.object);
    if (o.object.kind === 'Secret') {
      await assert.rejects(
        read,
        (err: unknown) => err instanceof KubeApiError && err.status === 403,
        o.address,
      );
    } else assert.ok(await read, `${o.address}: the plan reader cannot read it`);
  }
  assert.ok(
    objects.some((o) => o.object.kind === 'Secret'),
    'no Secret to be refused',
  );
  // Its plans: every layer with no change and no refresh (a refresh would read the Secrets). The
  // state is first refreshed as any later apply or drift check leaves it: the provider records a
  // created Secret's empty `metadata.annotations` only at its first refresh, which a plan without
  // refresh would show as a change.
  for (const s of stacks)
    await terraform(s.dir, tfEnv, ['apply', '-refresh-only', '-auto-approve', '-input=false']);
  for (const s of stacks) {
    const dir = `${s.dir}-plan-reader`;
    // The state stays where the backend names it (the original directory): read, never locked.
    cpSync(s.dir, dir, { recursive: true, filter: (src) => src !== join(s.dir, 'terraform.tfstate') });
    const json = JSON.parse(readFileSync(join(dir, 'cdk.tf.json'), 'utf8')) as StackJson & {
      provider: { kubernetes: { config_path: string }[] };
    };
    json.provider.kubernetes = [{ config_path: file }];
    writeFileSync(join(dir, 'cdk.tf.json'), JSON.stringify(json));
    const { code, output } = await planExitCode(dir, tfEnv, ['-refresh=false', '-lock=false']);
    assert.equal(code, 0, `${s.name}: the plan reader's plan exited ${code}:\n${output}`);
    // What a hostile pull request would add: a data source reading the CA's or a role's Secret.
    writeFileSync(
      join(dir, 'exfiltrate.tf.json'),
      JSON.stringify({
        data: {
          kubernetes_secret_v1: {
            exfiltrate: { metadata: [{ name: 'sensor-pg-sensor', namespace: 'postgres' }] },
          },
        },
      }),
    );
    const hostile = await planExitCode(dir, tfEnv, ['-refresh=false', '-lock=false']);
    assert.equal(
      hostile.code,
      1,
      `${s.name}: a data source read a Secret as the plan reader:\n${hostile.output}`,
    );
    assert.match(hostile.output, /forbidden/i);
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
