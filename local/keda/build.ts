/**
 * Builds the KEDA scaler probe (local/keda/scaler-probe.go) against KEDA's Go module at the stacks'
 * pin (stacks/lib/operator-pins.ts), so the autoscaling test runs KEDA's own scalers, resolver and
 * scale handler.
 *
 * KEDA cannot be required as it is: its go.mod pins k8s.io, controller-runtime and Prometheus with
 * replace directives, which apply only in the main module. A generated wrapper module (in the cache,
 * never in this repository) requires KEDA and restates those replace lines, read from KEDA's go.mod.
 * KEDA's scalers are one package that imports every cloud's SDK: the first build takes minutes.
 */
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { cacheDir, repoRoot } from '../lib/paths.js';
import { run, StackError } from '../lib/proc.js';
import { assertGo, goEnv, progress } from '../tools/go.js';
import { withLock } from '../tools/lock.js';
import { OPERATOR_PINS } from '../../stacks/lib/operator-pins.js';

const KEDA_MODULE = 'github.com/kedacore/keda/v2';
const PROBE_SOURCE = join(repoRoot, 'local', 'keda', 'scaler-probe.go');

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
    'module localbuild/keda-scaler-probe',
    '',
    `go ${goVersion}`,
    '',
    `require ${KEDA_MODULE} ${version}`,
    '',
    'replace (',
    ...replaces.map((r) => `\t${r}`),
    ')',
    '',
  ].join('\n');
}

/** The cached binary's directory: keyed by KEDA's version and the probe's source. */
function probeDir(version: string): string {
  const source = createHash('sha256').update(readFileSync(PROBE_SOURCE)).digest('hex').slice(0, 12);
  return join(cacheDir(), 'keda', `scaler-probe-${version}-${source}`);
}

/** Returns the probe's path, building it on first use (several minutes: KEDA imports every cloud SDK). */
export async function ensureScalerProbe(): Promise<string> {
  const version = kedaModuleVersion();
  const dir = probeDir(version);
  const binary = join(dir, 'bin', 'scaler-probe');
  if (existsSync(binary)) return binary;
  return withLock(join(cacheDir(), 'keda'), `scaler-probe-${version}`, async () => {
    if (existsSync(binary)) return binary;
    await build(version, dir);
    return binary;
  });
}

async function build(version: string, dir: string): Promise<void> {
  const goVersion = (await assertGo()).replace(/^go/, '');
  const staging = `${dir}.partial-${process.pid}`;
  const src = join(staging, 'src');
  const started = Date.now();
  progress(`building KEDA ${version}'s scaler probe (KEDA's scalers with every cloud SDK); first time only`);
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
    copyFileSync(PROBE_SOURCE, join(src, 'main.go'));
    await run('go', ['mod', 'tidy'], { env, cwd: src });
    await run(
      'go',
      ['build', '-trimpath', '-ldflags=-s -w', '-o', join(staging, 'bin', 'scaler-probe'), '.'],
      {
        env,
        cwd: src,
      },
    );
    rmSync(src, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  progress(`built KEDA's scaler probe in ${Math.round((Date.now() - started) / 1000)} s`);
}
