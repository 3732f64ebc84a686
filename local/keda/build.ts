/**
 * Builds KEDA's operator and its metrics server (cmd/operator, cmd/adapter) from KEDA's Go module at
 * the stacks' pin (stacks/lib/operator-pins.ts), so the autoscaling test runs KEDA as a cluster runs
 * it: the operator turns ScaledObjects into HPAs and serves their metrics, the metrics server answers
 * the HPA through the API server's aggregation layer.
 *
 * KEDA cannot be `go install`ed: its go.mod pins k8s.io, controller-runtime and Prometheus with
 * replace directives, which apply only in the main module. A generated wrapper module (in the cache,
 * never in this repository) names both commands as tools and restates those replace lines, read from
 * KEDA's go.mod. KEDA's scalers are one package that imports every cloud's SDK: the first build takes
 * minutes.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../lib/paths.js';
import { run, StackError } from '../lib/proc.js';
import { assertGo, goEnv, progress } from '../tools/go.js';
import { withLock } from '../tools/lock.js';
import { OPERATOR_PINS } from '../../stacks/lib/operator-pins.js';

const KEDA_MODULE = 'github.com/kedacore/keda/v2';
const COMMANDS = { operator: 'cmd/operator', metricsServer: 'cmd/adapter' } as const;

export interface KedaBinaries {
  readonly operator: string;
  readonly metricsServer: string;
}

/** KEDA's release as a Go module version (the chart's appVersion with a v). */
export function kedaModuleVersion(): string {
  const v = OPERATOR_PINS.keda.appVersion;
  return v.startsWith('v') ? v : `v${v}`;
}

/** The replace block of a go.mod, each directive on its own line (`a => b v`), comments dropped. */
export function replaceDirectives(goMod: string): string[] {
  const lines: string[] = [];
  for (const m of goMod.matchAll(/^replace\s*\(\s*\n([\s\S]*?)^\)/gm))
    for (const raw of m[1]!.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (line) lines.push(line);
    }
  for (const m of goMod.matchAll(/^replace\s+([^(\s].*)$/gm)) lines.push(m[1]!.replace(/\/\/.*$/, '').trim());
  return lines;
}

/** The go.mod of the wrapper module. */
export function wrapperGoMod(version: string, replaces: readonly string[], goVersion: string): string {
  return [
    'module localbuild/keda',
    '',
    `go ${goVersion}`,
    '',
    `require ${KEDA_MODULE} ${version}`,
    '',
    'tool (',
    ...Object.values(COMMANDS).map((c) => `\t${KEDA_MODULE}/${c}`),
    ')',
    '',
    'replace (',
    ...replaces.map((r) => `\t${r}`),
    ')',
    '',
  ].join('\n');
}

function binaries(dir: string): KedaBinaries {
  return { operator: join(dir, 'bin', 'operator'), metricsServer: join(dir, 'bin', 'adapter') };
}

/** Returns the cached binaries, building them on first use (minutes: KEDA imports every cloud SDK). */
export async function ensureKedaBinaries(): Promise<KedaBinaries> {
  const version = kedaModuleVersion();
  const dir = join(cacheDir(), 'keda', `keda-${version}`);
  const bins = binaries(dir);
  const built = () => existsSync(bins.operator) && existsSync(bins.metricsServer);
  if (built()) return bins;
  return withLock(join(cacheDir(), 'keda'), `keda-${version}`, async () => {
    if (!built()) await build(version, dir);
    return bins;
  });
}

async function build(version: string, dir: string): Promise<void> {
  const goVersion = (await assertGo()).replace(/^go/, '');
  const staging = `${dir}.partial-${process.pid}`;
  const src = join(staging, 'src');
  const started = Date.now();
  progress(`building KEDA ${version}'s operator and metrics server (every cloud SDK); first time only`);
  const env = goEnv();
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(src, { recursive: true });
  try {
    const info = JSON.parse(
      await run('go', ['mod', 'download', '-json', `${KEDA_MODULE}@${version}`], { env, cwd: src }),
    ) as { GoMod?: string; Error?: string };
    if (!info.GoMod)
      throw new StackError(`go mod download ${KEDA_MODULE}@${version}: ${info.Error ?? 'no go.mod'}`);
    const replaces = replaceDirectives(readFileSync(info.GoMod, 'utf8'));
    writeFileSync(join(src, 'go.mod'), wrapperGoMod(version, replaces, goVersion));
    await run('go', ['mod', 'tidy'], { env, cwd: src });
    await run(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags=-s -w',
        '-o',
        `${join(staging, 'bin')}/`,
        ...Object.values(COMMANDS).map((c) => `${KEDA_MODULE}/${c}`),
      ],
      { env, cwd: src },
    );
    rmSync(src, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  progress(`built KEDA's operator and metrics server in ${Math.round((Date.now() - started) / 1000)} s`);
}
