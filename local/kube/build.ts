/**
 * Builds kube-apiserver and kube-controller-manager from the k8s.io/kubernetes Go module.
 *
 * k8s.io/kubernetes cannot be `go install`ed: its go.mod requires every k8s.io staging module at
 * v0.0.0 and replaces it with a directory of its own repository. A generated wrapper module (in the
 * cache, never in this repository) requires k8s.io/kubernetes and replaces each of those staging
 * modules with the version published for the same release (v1.Y.Z -> v0.Y.Z).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../lib/paths.js';
import { run, StackError } from '../lib/proc.js';
import { assertGo, goEnv, progress } from '../tools/go.js';
import { withLock } from '../tools/lock.js';
import { KUBERNETES_VERSION } from './versions.js';

export interface KubeBinaries {
  readonly apiserver: string;
  readonly controllerManager: string;
}

const COMMANDS = ['kube-apiserver', 'kube-controller-manager'] as const;

export function kubeBinDir(version = KUBERNETES_VERSION): string {
  return join(cacheDir(), 'kube', `kubernetes-${version}`, 'bin');
}

function binaries(dir: string): KubeBinaries {
  return { apiserver: join(dir, 'kube-apiserver'), controllerManager: join(dir, 'kube-controller-manager') };
}

/** The staging modules kubernetes' go.mod requires at the placeholder version v0.0.0. */
export function stagingModules(kubernetesGoMod: string): string[] {
  const found = new Set<string>();
  for (const m of kubernetesGoMod.matchAll(
    /^\s*(?:require\s+)?(k8s\.io\/[A-Za-z0-9._-]+)\s+v0\.0\.0\s*(?:\/\/.*)?$/gm,
  )) {
    found.add(m[1]!);
  }
  return [...found].sort();
}

/** The go.mod of the wrapper module for one kubernetes release. */
export function wrapperGoMod(version: string, staging: readonly string[], goVersion: string): string {
  const published = version.replace(/^v1\./, 'v0.');
  return [
    'module localbuild/kubernetes',
    '',
    `go ${goVersion}`,
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    ...COMMANDS.map((c) => `tool k8s.io/kubernetes/cmd/${c}`),
    '',
    'replace (',
    ...staging.map((m) => `\t${m} => ${m} ${published}`),
    ')',
    '',
  ].join('\n');
}

function ldflags(version: string): string {
  const [major, minor] = version.replace(/^v/, '').split('.');
  const vars = {
    gitVersion: version,
    gitMajor: major,
    gitMinor: minor,
    gitTreeState: 'clean',
    buildDate: '1970-01-01T00:00:00Z',
  };
  const pkgs = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version'];
  const x = pkgs.flatMap((p) => Object.entries(vars).map(([k, v]) => `-X ${p}.${k}=${v}`));
  return ['-s', '-w', ...x].join(' ');
}

/** Returns the cached binaries, building them (about 5 minutes on 2 cores) when absent. */
export async function ensureKubeBinaries(version = KUBERNETES_VERSION): Promise<KubeBinaries> {
  const dir = kubeBinDir(version);
  const bins = binaries(dir);
  if (existsSync(bins.apiserver) && existsSync(bins.controllerManager)) return bins;
  return withLock(join(cacheDir(), 'kube'), `build-${version}`, async () => {
    if (existsSync(bins.apiserver) && existsSync(bins.controllerManager)) return bins;
    await build(version, dir);
    return bins;
  });
}

async function build(version: string, binDir: string): Promise<void> {
  const goVersion = (await assertGo()).replace(/^go/, '');
  const root = join(cacheDir(), 'kube', `kubernetes-${version}`);
  const src = join(root, 'wrapper');
  const started = Date.now();
  progress(
    `building kube-apiserver and kube-controller-manager ${version} from k8s.io/kubernetes; first time only (~5 min)`,
  );
  const env = goEnv();
  rmSync(src, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  const info = JSON.parse(
    await run('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], { env, cwd: src }),
  ) as {
    GoMod?: string;
    Error?: string;
  };
  if (!info.GoMod)
    throw new StackError(`go mod download k8s.io/kubernetes@${version}: ${info.Error ?? 'no go.mod'}`);
  const staging = stagingModules(readFileSync(info.GoMod, 'utf8'));
  if (staging.length === 0)
    throw new StackError(`no v0.0.0 staging modules found in k8s.io/kubernetes@${version} go.mod`);
  writeFileSync(join(src, 'go.mod'), wrapperGoMod(version, staging, goVersion));
  await run('go', ['mod', 'tidy'], { env, cwd: src });
  const out = `${binDir}.partial-${process.pid}`;
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  try {
    await run(
      'go',
      [
        'build',
        '-trimpath',
        `-ldflags=${ldflags(version)}`,
        '-o',
        `${out}/`,
        ...COMMANDS.map((c) => `k8s.io/kubernetes/cmd/${c}`),
      ],
      { env, cwd: src },
    );
    rmSync(binDir, { recursive: true, force: true });
    renameSync(out, binDir);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  progress(`built kubernetes ${version} binaries in ${Math.round((Date.now() - started) / 1000)} s`);
}
