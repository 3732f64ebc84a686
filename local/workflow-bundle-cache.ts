/**
 * The workflow bundle that the local worker processes load (WORKFLOW_BUNDLE_PATH), built as the image
 * builds it (workers/worker/bundle-workflows.ts) in a process of its own, so that no worker keeps
 * webpack's memory (workers/worker/workflow-bundle.ts). Cached per content of the worker code and
 * the lockfile: an edit to a workflow, or another SDK, builds a new one.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, stateDir } from './lib/paths.js';

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) yield path;
  }
}

function contentHash(): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(repoRoot, 'workers')), join(repoRoot, 'package-lock.json')])
    hash.update(file.slice(repoRoot.length)).update('\0').update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

/** The bundle's path, built first if this content has none yet (a few seconds, once). */
export function workflowBundlePath(): string {
  const path = join(stateDir(), 'workflow-bundles', `${contentHash()}.js`);
  if (existsSync(path)) return path;
  const built = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'workers', 'worker', 'bundle-workflows.ts'), path],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (built.status !== 0)
    throw new Error(`bundling the workflows failed (exit ${built.status}):\n${built.stderr}${built.stdout}`);
  return path;
}
