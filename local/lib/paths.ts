/**
 * Where the local stack keeps things. Binaries and downloads are shared by every checkout
 * (cache), server data belongs to one checkout (state), so two clones never share a database.
 */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackEnv } from './stack-env.js';

export const PROJECT_NAME = 'sensor-pipeline';

/** The repository root (this file lives in local/lib/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Downloaded and built artifacts, reused across checkouts: $SENSOR_STACK_CACHE_DIR or $XDG_CACHE_HOME/sensor-pipeline. */
export function cacheDir(env: NodeJS.ProcessEnv = stackEnv()): string {
  if (env.SENSOR_STACK_CACHE_DIR) return resolve(env.SENSOR_STACK_CACHE_DIR);
  const xdg = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(xdg, PROJECT_NAME);
}

/** Server data, pid files and logs of this checkout: $SENSOR_STACK_STATE_DIR or <repo>/.stack. */
export function stateDir(env: NodeJS.ProcessEnv = stackEnv()): string {
  return env.SENSOR_STACK_STATE_DIR ? resolve(env.SENSOR_STACK_STATE_DIR) : join(repoRoot, '.stack');
}

export function logDir(env: NodeJS.ProcessEnv = stackEnv()): string {
  return join(stateDir(env), 'logs');
}

export function runDir(env: NodeJS.ProcessEnv = stackEnv()): string {
  return join(stateDir(env), 'run');
}
