/**
 * An operator's CRDs as the stacks apply them: the objects its published artifacts carry at the
 * pinned version (read from the cache that local/kube/crds.ts fills: synth fetches them first),
 * made ready for `kubernetes_manifest`.
 */
import { readCrdObjects } from '../../local/kube/crds.js';
import type { KubeObject } from './kube-manifest.js';
import { OPERATOR_PINS, type OperatorName } from './operator-pins.js';

/** Annotation naming the operator release a CRD came from, so a bump reads as such in a plan. */
export const CRD_VERSION_ANNOTATION = 'sensor-pipeline.io/operator-version';

/**
 * Terraform reads `${` and `%{` in any string as a template; CRD descriptions quote such text
 * (relabelling docs, Go templates), so each is escaped to its literal form.
 */
function escapeTemplates(value: unknown): unknown {
  // A function replacer: in a replacement string, `$$` would mean one `$`.
  if (typeof value === 'string') return value.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');
  if (Array.isArray(value)) return value.map(escapeTemplates);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [escapeTemplates(k), escapeTemplates(v)]),
    );
  }
  return value;
}

/**
 * The CRDs of `operator` at `appVersion` (its pinned one unless given), without the server-owned
 * fields some generators write (status, creationTimestamp), annotated with their release and with
 * Helm's keep policy: a chart that installed them before the stacks did would otherwise delete
 * them, and every custom resource with them, on the upgrade that turns its CRDs off.
 */
export function operatorCrds(
  operator: OperatorName,
  appVersion: string = OPERATOR_PINS[operator].appVersion,
): KubeObject[] {
  return readCrdObjects(operator, appVersion).map((crd) => {
    const object: Record<string, unknown> = { ...crd };
    delete object.status;
    const metadata: Record<string, unknown> = { ...crd.metadata };
    delete metadata.creationTimestamp;
    const annotations = (metadata.annotations ?? {}) as Record<string, string>;
    return escapeTemplates({
      ...object,
      metadata: {
        ...metadata,
        annotations: {
          ...annotations,
          [CRD_VERSION_ANNOTATION]: `${operator} ${appVersion}`,
          'helm.sh/resource-policy': 'keep',
        },
      },
    }) as KubeObject;
  });
}
