/**
 * The image's node_modules is `npm ci --omit=dev` (Dockerfile): package.json's dependencies are the
 * packages workers/ imports and nothing else, so the runtime image carries no IaC libraries (cdktf,
 * the providers) that a compromised or vulnerable package could reach from the running pods.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';

/** Runtime dependencies no workers/ file names, each with why it is there. */
const INDIRECT: Readonly<Record<string, string>> = {
  protobufjs: "one copy for the Temporal SDK's packages, so proto JSON round-trips (replay test)",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** The package of a bare specifier (`@scope/name/sub` -> `@scope/name`); undefined for node: and relative. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

void test('package.json dependencies are exactly what workers/ imports; the image installs no others', () => {
  const imported = new Set<string>();
  for (const file of sourceFiles(join(repoRoot, 'workers'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)) {
      const pkg = packageOf(m[1]!);
      if (pkg) imported.add(pkg);
    }
  }
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
  };
  const declared = new Set(Object.keys(pkg.dependencies));
  const missing = [...imported].filter((p) => !declared.has(p)).sort();
  const unused = [...declared].filter((p) => !imported.has(p) && !(p in INDIRECT)).sort();
  assert.deepEqual(missing, [], 'imported by workers/ but not a runtime dependency');
  assert.deepEqual(unused, [], 'runtime dependencies that workers/ does not import (devDependencies?)');
  assert.match(
    readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'),
    /FROM \$\{NODE_IMAGE\} AS deps[\s\S]*?npm ci --omit=dev/,
    "the image's node_modules must be the runtime dependencies only",
  );
});
