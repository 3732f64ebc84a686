/**
 * Builds pinned Go tools into the shared cache: `<cacheDir>/tools/<name>-<version>/bin/<binary>`.
 * A build goes to a temporary directory first and is renamed into place, so an interrupted build
 * never leaves a half-written tool that a later run would trust.
 */
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../lib/paths.js';
import { run, StackError } from '../lib/proc.js';
import { withLock } from './lock.js';
import { GO_TOOLS, KUBERNETES_PROVIDER_MIRROR_VERSION, type GoToolName, type GoToolPin } from './versions.js';

/** Environment for the go command: never switch toolchains behind our back, keep module cache default. */
export function goEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOFLAGS: '-buildvcs=false', CGO_ENABLED: '0', ...extra };
}

/** Fails with what to install when the go command is missing. */
export async function assertGo(): Promise<string> {
  try {
    return (await run('go', ['env', 'GOVERSION'], { env: goEnv() })).trim();
  } catch (err) {
    if (err instanceof StackError && err.message.startsWith('command not found')) {
      throw new StackError(
        'the Go toolchain is needed to build the pinned tools (helm, kubeconform, actionlint, promtool, ' +
          'the terraform kubernetes provider, kube-apiserver): install Go >= 1.26 and put `go` on PATH',
      );
    }
    throw err;
  }
}

export function toolDir(name: string, version: string): string {
  return join(cacheDir(), 'tools', `${name}-${version}`);
}

/** Prints one progress line to stderr (stdout stays clean for callers that pipe it). */
export function progress(message: string): void {
  process.stderr.write(`[tools] ${message}\n`);
}

async function installPin(name: string, pin: GoToolPin): Promise<string> {
  const dir = toolDir(name, pin.version);
  const binary = join(dir, 'bin', pin.binary);
  if (existsSync(binary)) return binary;
  return withLock(join(cacheDir(), 'tools'), `${name}-${pin.version}`, async () => {
    if (existsSync(binary)) return binary;
    return buildPin(name, pin, dir, binary);
  });
}

async function buildPin(name: string, pin: GoToolPin, dir: string, binary: string): Promise<string> {
  await assertGo();
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  progress(`building ${name} ${pin.version} (go install ${pin.pkg}); first time only`);
  const ldflags = ['-s', '-w', pin.ldflags ?? ''].join(' ').trim();
  try {
    const tags = pin.tags ? [`-tags=${pin.tags}`] : [];
    if (pin.placeholderEmbeds) await buildFromCopy(pin, staging, ldflags, tags);
    else
      await run('go', ['install', '-trimpath', `-ldflags=${ldflags}`, ...tags, `${pin.pkg}@${pin.version}`], {
        env: goEnv({ GOBIN: join(staging, 'bin') }),
      });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  progress(`built ${name} ${pin.version} in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/**
 * `go build` in a writable copy of the module (from the module cache), with a placeholder page in
 * each folder the module embeds but does not ship; its own go.sum pins the dependencies.
 */
async function buildFromCopy(
  pin: GoToolPin,
  staging: string,
  ldflags: string,
  tags: string[],
): Promise<void> {
  const info = JSON.parse(
    await run('go', ['mod', 'download', '-json', `${pin.module}@${pin.version}`], { env: goEnv() }),
  ) as { Dir: string };
  const src = join(staging, 'src');
  cpSync(info.Dir, src, { recursive: true });
  await run('chmod', ['-R', 'u+w', src]);
  for (const dir of pin.placeholderEmbeds ?? []) {
    mkdirSync(join(src, dir), { recursive: true });
    writeFileSync(
      join(src, dir, 'index.html'),
      `<!doctype html><title>${pin.binary}</title><p>${pin.binary} ${pin.version}, built without its web UI: use the API.</p>\n`,
    );
  }
  const pkg = `.${pin.pkg.slice(pin.module.length)}`;
  await run(
    'go',
    ['build', '-trimpath', `-ldflags=${ldflags}`, ...tags, '-o', join(staging, 'bin', pin.binary), pkg],
    {
      env: goEnv(),
      cwd: src,
    },
  );
  rmSync(src, { recursive: true, force: true });
}

/** Returns the path of the pinned tool, building it on first use. */
export async function ensureGoTool(name: GoToolName): Promise<string> {
  return installPin(name, GO_TOOLS[name]);
}

export interface ProviderMirror {
  /** Directory to name in a terraform CLI config `filesystem_mirror { path = ... }` block. */
  readonly dir: string;
  /** The version the provider is published under there. */
  readonly version: string;
}

/**
 * Lays the locally built hashicorp/kubernetes provider out as a terraform filesystem mirror
 * (unpacked layout: <mirror>/registry.terraform.io/hashicorp/kubernetes/<version>/linux_amd64/).
 */
export async function ensureKubernetesProviderMirror(): Promise<ProviderMirror> {
  const built = await ensureGoTool('terraform-provider-kubernetes');
  const version = KUBERNETES_PROVIDER_MIRROR_VERSION;
  const dir = join(
    toolDir('terraform-provider-kubernetes', GO_TOOLS['terraform-provider-kubernetes'].version),
    'mirror',
  );
  const platform = join(dir, 'registry.terraform.io', 'hashicorp', 'kubernetes', version, 'linux_amd64');
  const target = join(platform, `terraform-provider-kubernetes_v${version}`);
  if (!existsSync(target)) {
    mkdirSync(platform, { recursive: true });
    copyFileSync(built, `${target}.tmp-${process.pid}`);
    chmodSync(`${target}.tmp-${process.pid}`, 0o755);
    renameSync(`${target}.tmp-${process.pid}`, target);
  }
  return { dir, version };
}
