/**
 * Our two charts rendered as a stack's helm_release installs them (`helm template` with the
 * release's values, the pinned helm), for the tests that need the objects a release creates.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KUBERNETES_VERSION } from '../../../local/kube/versions.js';
import { repoRoot } from '../../../local/lib/paths.js';
import { run } from '../../../local/lib/proc.js';
import { ensureGoTool } from '../../../local/tools/go.js';
import type { KubeObject, StackJson } from './tf-to-kube.js';

export const OUR_CHARTS = ['ingest-bridge', 'sensor-worker'] as const;
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'ClusterIssuer']);

/** `helm template` of one of our charts; namespaced objects that name none go to `namespace`. */
export async function helmTemplate(
  chart: string,
  namespace: string,
  valueArgs: readonly string[],
): Promise<KubeObject[]> {
  const helm = await ensureGoTool('helm');
  const output = await run(helm, [
    'template',
    chart === 'ingest-bridge' ? 'ingest-bridge' : 'sensor-worker',
    join(repoRoot, 'charts', chart),
    '--namespace',
    namespace,
    '--kube-version',
    KUBERNETES_VERSION,
    // The capabilities the stacks' clusters have (Prometheus Operator installed by the operators layer).
    '--api-versions',
    'monitoring.coreos.com/v1',
    ...valueArgs,
  ]);
  const objects = parseAllDocuments(output)
    .map((d) => d.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
  // helm install puts namespaced objects that name none into the release namespace.
  for (const o of objects) if (!CLUSTER_SCOPED.has(o.kind)) o.metadata.namespace ??= namespace;
  return objects;
}

export interface RenderedRelease {
  /** The helm_release's resource id in the stack. */
  readonly id: string;
  readonly chart: (typeof OUR_CHARTS)[number];
  readonly objects: KubeObject[];
}

/**
 * Every helm_release of one of our charts in a synthesized stack, rendered with its values; `skipped`
 * gets the upstream charts, which cannot be rendered here (their repositories are unreachable).
 */
export async function renderOurReleases(stack: StackJson, skipped?: Set<string>): Promise<RenderedRelease[]> {
  const rendered: RenderedRelease[] = [];
  const values = mkdtempSync(join(tmpdir(), 'release-values-'));
  try {
    for (const [id, release] of Object.entries(stack.resource?.helm_release ?? {})) {
      const chart = basename(String(release.chart));
      if (!(OUR_CHARTS as readonly string[]).includes(chart)) {
        skipped?.add(`${String(release.chart)} ${String(release.version ?? '')}`.trim());
        continue;
      }
      const args: string[] = [];
      for (const [i, doc] of ((release.values as string[] | undefined) ?? []).entries()) {
        const file = join(values, `${id}-${i}.yaml`);
        writeFileSync(file, doc);
        args.push('-f', file);
      }
      rendered.push({
        id,
        chart: chart as RenderedRelease['chart'],
        objects: await helmTemplate(chart, String(release.namespace), args),
      });
    }
  } finally {
    rmSync(values, { recursive: true, force: true });
  }
  return rendered;
}
