/**
 * The layout of the operators' CRD cache, shared by its writer (local/kube/crds.ts, which fetches the
 * files from the operators' published artifacts) and its readers (synth, the local API server):
 * `<root>/<operator>-<version>/*.yaml`, one or more CRDs per file.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './kube-manifest.js';
import type { OperatorName } from './operator-pins.js';

/** A set the cache does not hold yet: `npm run crds` fetches every pinned one. */
export class CrdsNotFetchedError extends Error {
  override name = 'CrdsNotFetchedError';
}

export function crdSetDir(root: string, operator: OperatorName, version: string): string {
  return join(root, `${operator}-${version}`);
}

export function listYaml(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The CRD objects of one operator at a version, sorted by name. @throws CrdsNotFetchedError */
export function readCrdSet(root: string, operator: OperatorName, version: string): KubeObject[] {
  const dir = crdSetDir(root, operator, version);
  if (!existsSync(dir))
    throw new CrdsNotFetchedError(
      `the CRDs of ${operator} ${version} are not in ${root}: \`npm run crds\` fetches every pinned operator's (\`npm run synth\` does on its own)`,
    );
  const objects: KubeObject[] = [];
  for (const file of listYaml(dir)) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const obj = doc.toJS() as KubeObject | null;
      if (obj?.kind === 'CustomResourceDefinition') objects.push(obj);
    }
  }
  return objects.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}
