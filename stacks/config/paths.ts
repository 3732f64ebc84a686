/**
 * Where synth writes and where it reads the operators' CRDs, from the process environment. Apart from
 * load.ts so that finding a folder never loads, and so never sizes, the environments.
 *
 * Environment variables:
 * - `CDKTF_OUTDIR`: synth output folder, set by the cdktf CLI (default `cdktf.out`).
 * - `SENSOR_STACK_CACHE_DIR`, `XDG_CACHE_HOME`: where the operators' CRDs are cached (operatorCrdsRoot).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Synth output folder: `CDKTF_OUTDIR` (set by the cdktf CLI) or `cdktf.out`. */
export function synthOutdir(): string {
  return process.env.CDKTF_OUTDIR ?? 'cdktf.out';
}

/**
 * Where synth reads the operators' CRDs (stacks/lib/operator-crds.ts): the cache that `npm run crds`
 * fills, under the project's cache folder as the local tools place it ($SENSOR_STACK_CACHE_DIR or
 * $XDG_CACHE_HOME/sensor-pipeline).
 */
export function operatorCrdsRoot(): string {
  const cache = process.env.SENSOR_STACK_CACHE_DIR
    ? resolve(process.env.SENSOR_STACK_CACHE_DIR)
    : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sensor-pipeline');
  return join(cache, 'kube', 'crds');
}
