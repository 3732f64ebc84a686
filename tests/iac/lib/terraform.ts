/**
 * Runs real terraform on synthesized stacks against the local API server, offline:
 *   - the kubernetes provider comes from a filesystem mirror (the locally built 3.x provider) named
 *     in a generated CLI config file (TF_CLI_CONFIG_FILE); no other provider can be installed;
 *   - each stack's cdk.tf.json is copied and rewritten: the provider points at the local kubeconfig,
 *     the exact provider pin of the prebuilt cdktf binding is relaxed to the mirrored version, state
 *     goes to a local backend in the work directory, and helm_release resources are removed (no helm
 *     provider can be installed here, and their charts live in chart repositories this machine
 *     cannot reach), together with anything that references them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../../local/lib/proc.js';
import { ensureKubernetesProviderMirror } from '../../../local/tools/go.js';
import type { StackJson } from './tf-to-kube.js';

export interface TerraformWorkspace {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Resource addresses removed from the stack, with why. */
  readonly removed: readonly string[];
}

type Json = Record<string, unknown>;

/** Writes the CLI config naming the provider mirror; returns the environment terraform runs with. */
export async function terraformEnv(workRoot: string): Promise<NodeJS.ProcessEnv> {
  const mirror = await ensureKubernetesProviderMirror();
  const cliConfig = join(workRoot, 'terraform.rc');
  writeFileSync(
    cliConfig,
    [
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirror.dir)}`,
      '    include = ["registry.terraform.io/hashicorp/kubernetes"]',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return {
    ...process.env,
    TF_CLI_CONFIG_FILE: cliConfig,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
  };
}

const refersTo = (value: unknown, prefix: string): boolean => JSON.stringify(value).includes(prefix);

/**
 * Rewrites one synthesized stack for a local apply. `statePaths` maps each stack's original local
 * backend path to the new one, so terraform_remote_state between stacks keeps working.
 */
export async function prepareStack(
  stack: StackJson,
  opts: {
    dir: string;
    kubeconfig: string;
    providerVersion: string;
    statePaths: ReadonlyMap<string, string>;
    /**
     * Keep the operators' CRD manifests. By default they go: the local API server already serves
     * the pinned CRDs (installed when it starts), which a `kubernetes_manifest` cannot create again,
     * and a destroy would delete them under the other tests (crd-upgrade.test.ts applies them).
     */
    keepCrds?: boolean;
  },
): Promise<string[]> {
  const json = structuredClone(stack) as Json;
  const removed: string[] = [];
  const resources = (json.resource ?? {}) as Record<string, Record<string, Json>>;
  if (!opts.keepCrds) {
    const manifests = resources.kubernetes_manifest ?? {};
    let crds = 0;
    for (const [name, body] of Object.entries(manifests)) {
      if ((body.manifest as Json | undefined)?.kind !== 'CustomResourceDefinition') continue;
      delete manifests[name];
      crds += 1;
      for (const byName of Object.values(resources))
        for (const other of Object.values(byName)) {
          const deps = other.depends_on as string[] | undefined;
          if (deps) other.depends_on = deps.filter((d) => d !== `kubernetes_manifest.${name}`);
        }
    }
    if (Object.keys(manifests).length === 0) delete resources.kubernetes_manifest;
    delete json.import;
    if (crds > 0) removed.push(`${crds} CRD manifests (the local API server serves them already)`);
  }
  // Drop helm releases and, to a fixed point, whatever depends on something dropped.
  const gone = new Set<string>();
  for (const name of Object.keys(resources.helm_release ?? {})) gone.add(`helm_release.${name}`);
  delete resources.helm_release;
  for (let changed = true; changed;) {
    changed = false;
    for (const [type, byName] of Object.entries(resources)) {
      for (const [name, body] of Object.entries(byName)) {
        const deps = (body.depends_on as string[] | undefined) ?? [];
        body.depends_on = deps.filter((d) => ![...gone].some((g) => d === g || d.startsWith(`${g}.`)));
        if ((body.depends_on as string[]).length === 0) delete body.depends_on;
        if ([...gone].some((g) => refersTo(body, `\${${g}.`) || refersTo(body, `\${${g}}`))) {
          gone.add(`${type}.${name}`);
          delete byName[name];
          changed = true;
        }
      }
      if (Object.keys(byName).length === 0) delete resources[type];
    }
  }
  removed.push(...gone);
  // Nothing runs the operators here, so a wait for a custom resource's status would never end.
  for (const [name, body] of Object.entries(resources.kubernetes_manifest ?? {})) {
    if (body.wait || body.wait_for) removed.push(`the wait condition of kubernetes_manifest.${name}`);
    delete body.wait;
    delete body.wait_for;
  }
  const outputs = (json.output ?? {}) as Record<string, Json>;
  for (const [name, body] of Object.entries(outputs)) {
    if ([...gone].some((g) => refersTo(body, `\${${g}`))) delete outputs[name];
  }
  const terraform = (json.terraform ?? {}) as Json;
  const requiredProviders = (terraform.required_providers ?? {}) as Record<string, Json>;
  delete requiredProviders.helm;
  if (requiredProviders.kubernetes)
    requiredProviders.kubernetes = { source: 'hashicorp/kubernetes', version: opts.providerVersion };
  terraform.backend = { local: { path: join(opts.dir, 'terraform.tfstate') } };
  json.terraform = terraform;
  const provider = (json.provider ?? {}) as Json;
  delete provider.helm;
  provider.kubernetes = [{ config_path: opts.kubeconfig }];
  json.provider = provider;
  const data = (json.data ?? {}) as Record<string, Record<string, Json>>;
  for (const remote of Object.values(data.terraform_remote_state ?? {})) {
    const cfg = remote.config as Json | undefined;
    const path = cfg?.path;
    if (typeof path === 'string' && opts.statePaths.has(path)) cfg!.path = opts.statePaths.get(path);
  }
  mkdirSync(opts.dir, { recursive: true });
  writeFileSync(join(opts.dir, 'cdk.tf.json'), JSON.stringify(json, null, 2));
  return removed;
}

/** The local backend path a synthesized stack names, if any. */
export function originalStatePath(stack: StackJson): string | undefined {
  const backend = ((stack.terraform as Json | undefined)?.backend as Json | undefined)?.local as
    Json | undefined;
  return typeof backend?.path === 'string' ? backend.path : undefined;
}

export async function terraform(
  dir: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
): Promise<string> {
  return run('terraform', [...args, '-no-color'], { cwd: dir, env });
}

/**
 * `terraform plan -detailed-exitcode`: 0 no changes, 1 an error, 2 changes (returned with the plan
 * text). `extra` adds arguments (`-refresh=false`, `-lock=false`).
 */
export async function planExitCode(
  dir: string,
  env: NodeJS.ProcessEnv,
  extra: readonly string[] = [],
): Promise<{ code: number; output: string }> {
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const args = ['plan', '-detailed-exitcode', '-input=false', '-no-color', ...extra];
    const child = spawn('terraform', args, {
      cwd: dir,
      env,
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}
