/**
 * An operator's CRDs as the stacks apply them: the objects its published artifacts carry at the
 * pinned version (read from the cache that `npm run crds` fills; the cdktf app runs it first),
 * made ready for `kubernetes_manifest`.
 */
import { operatorCrdsRoot } from '../config/paths.js';
import { readCrdSet } from './crd-cache.js';
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

/** JSONSchemaProps fields the API server omits when empty (`omitempty` in apiextensions/v1). */
const SCHEMA_OMIT_EMPTY = new Set([
  'properties',
  'patternProperties',
  'definitions',
  'dependencies',
  'required',
  'enum',
  'allOf',
  'oneOf',
  'anyOf',
  'description',
  'type',
  'format',
  'pattern',
  'title',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
]);
/** Values in a schema that are data, not schemas: never rewritten. */
const SCHEMA_DATA = new Set(['default', 'example', 'enum']);

const isEmpty = (v: unknown): boolean =>
  v === '' ||
  (Array.isArray(v) && v.length === 0) ||
  (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/**
 * A schema as the API server stores it: empty `omitempty` fields dropped (Strimzi writes
 * `properties: {}`). Terraform's kubernetes provider compares what it applied with what the server
 * returns, and refuses the apply when they differ in shape.
 */
function asStored(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asStored);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (SCHEMA_OMIT_EMPTY.has(k) && isEmpty(v)) continue;
    if (SCHEMA_DATA.has(k)) out[k] = v;
    // `properties` and friends map names to schemas; every other object value is a schema or a list of them.
    else if (
      ['properties', 'patternProperties', 'definitions', 'dependencies'].includes(k) &&
      v &&
      typeof v === 'object'
    )
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, asStored(s)]));
    else out[k] = asStored(v);
  }
  return out;
}

interface CrdSpec {
  names?: Record<string, unknown>;
  versions?: Record<string, unknown>[];
  [k: string]: unknown;
}

/** The spec with empty omitempty lists and every version's schema as the API server stores them. */
function specAsStored(spec: CrdSpec): CrdSpec {
  const dropEmpty = (o: Record<string, unknown>, keys: readonly string[]) =>
    Object.fromEntries(Object.entries(o).filter(([k, v]) => !(keys.includes(k) && isEmpty(v))));
  return {
    ...spec,
    ...(spec.names ? { names: dropEmpty(spec.names, ['shortNames', 'categories']) } : {}),
    ...(spec.versions
      ? {
          versions: spec.versions.map((v) => {
            const version = dropEmpty(v, ['additionalPrinterColumns', 'selectableFields']);
            const schema = version.schema as { openAPIV3Schema?: unknown } | undefined;
            return schema?.openAPIV3Schema
              ? { ...version, schema: { ...schema, openAPIV3Schema: asStored(schema.openAPIV3Schema) } }
              : version;
          }),
        }
      : {}),
  };
}

/**
 * The CRDs of `operator` at `appVersion` (its pinned one unless given), without the server-owned
 * fields some generators write (status, creationTimestamp) or the empty ones the server drops,
 * annotated with their release and with
 * Helm's keep policy: a chart that installed them before the stacks did would otherwise delete
 * them, and every custom resource with them, on the upgrade that turns its CRDs off.
 */
export function operatorCrds(
  operator: OperatorName,
  appVersion: string = OPERATOR_PINS[operator].appVersion,
): KubeObject[] {
  return readCrdSet(operatorCrdsRoot(), operator, appVersion).map((crd) => {
    const object: Record<string, unknown> = { ...crd };
    delete object.status;
    const metadata: Record<string, unknown> = { ...crd.metadata };
    delete metadata.creationTimestamp;
    const annotations = (metadata.annotations ?? {}) as Record<string, string>;
    return escapeTemplates({
      ...object,
      spec: specAsStored(crd.spec as CrdSpec),
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
