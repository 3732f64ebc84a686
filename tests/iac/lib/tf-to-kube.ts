/**
 * Turns synthesized cdktf JSON into the Kubernetes objects the kubernetes provider would send:
 *   - `kubernetes_manifest.<name>.manifest` is the object itself;
 *   - `kubernetes_<kind>_v1` resources are converted the way the provider expands them: attribute and
 *     block names go from snake_case to camelCase, repeated blocks take their Kubernetes (plural)
 *     name, map attributes (labels, data, ...) keep their keys, terraform-only arguments are dropped.
 * References between resources (`${kubernetes_namespace_v1.x.metadata[0].name}`) are resolved
 * from the same stack; anything left unresolved is an error, never passed on silently.
 */

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

export interface ExtractedObject {
  /** Terraform address in its stack, e.g. `kubernetes_manifest.kafka`. */
  readonly address: string;
  readonly stack: string;
  readonly source: 'manifest' | 'typed';
  readonly object: KubeObject;
}

/** Terraform resource type -> the Kubernetes kind and apiVersion it manages. */
export const TYPED_RESOURCES: Readonly<Record<string, { apiVersion: string; kind: string }>> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap' },
  kubernetes_secret_v1: { apiVersion: 'v1', kind: 'Secret' },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount' },
  kubernetes_service_v1: { apiVersion: 'v1', kind: 'Service' },
  kubernetes_resource_quota_v1: { apiVersion: 'v1', kind: 'ResourceQuota' },
  kubernetes_limit_range_v1: { apiVersion: 'v1', kind: 'LimitRange' },
  kubernetes_persistent_volume_claim_v1: { apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment' },
  kubernetes_stateful_set_v1: { apiVersion: 'apps/v1', kind: 'StatefulSet' },
  kubernetes_daemon_set_v1: { apiVersion: 'apps/v1', kind: 'DaemonSet' },
  kubernetes_job_v1: { apiVersion: 'batch/v1', kind: 'Job' },
  kubernetes_cron_job_v1: { apiVersion: 'batch/v1', kind: 'CronJob' },
  kubernetes_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  kubernetes_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  kubernetes_cluster_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  kubernetes_cluster_role_binding_v1: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
  },
  kubernetes_network_policy_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  kubernetes_ingress_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  kubernetes_pod_disruption_budget_v1: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  kubernetes_priority_class_v1: { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass' },
  kubernetes_storage_class_v1: { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass' },
  kubernetes_horizontal_pod_autoscaler_v2: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
};

/** Repeated blocks (lists in the JSON) the provider names in the singular where Kubernetes uses a plural. */
const RENAMES: Readonly<Record<string, string>> = {
  container: 'containers',
  init_container: 'initContainers',
  port: 'ports',
  volume: 'volumes',
  volume_mount: 'volumeMounts',
  toleration: 'tolerations',
  image_pull_secrets: 'imagePullSecrets',
  image_pull_secret: 'imagePullSecrets',
  host_aliases: 'hostAliases',
  rule: 'rules',
  subject: 'subjects',
  secret: 'secrets',
  limit: 'limits',
  path: 'paths',
  tls: 'tls',
  topology_spread_constraint: 'topologySpreadConstraints',
  match_expressions: 'matchExpressions',
  match_fields: 'matchFields',
  metric: 'metrics',
  items: 'items',
  volume_claim_template: 'volumeClaimTemplates',
};

/** Attributes whose value is a map with user keys: the keys are data, not field names. */
const MAP_ATTRIBUTES = new Set([
  'labels',
  'annotations',
  'data',
  'binary_data',
  'string_data',
  'match_labels',
  'node_selector',
  'limits',
  'requests',
  'hard',
  'parameters',
  'selector_map',
  'capacity',
  'default',
  'default_request',
  'max',
  'min',
  'max_limit_request_ratio',
]);

/** Arguments of the terraform resource, not of the Kubernetes object. */
const TERRAFORM_ONLY = new Set([
  '//',
  'count',
  'for_each',
  'depends_on',
  'provider',
  'lifecycle',
  'provisioner',
  'connection',
  'timeouts',
  'wait_for_rollout',
  'wait_for_load_balancer',
  'wait_for_completion',
  'wait_for_default_service_account',
  'wait_for_service_account_token',
  'automount_service_account_token_wo',
  // `data_wo` becomes the Secret's data (typedToObject); its revision is terraform's alone.
  'data_wo_revision',
  'binary_data_wo',
  'immutable_wo',
  'generate_name',
  'wait',
  'field_manager',
  'computed_fields',
]);

/** IntOrString fields the provider turns into a number when the string is numeric. */
const INT_OR_STRING = new Set(['target_port', 'max_unavailable', 'max_surge', 'min_available', 'port']);

/** Repeated blocks (arrays) take their Kubernetes plural; attributes and single blocks are camelCased. */
function fieldName(key: string, value: unknown): string {
  return (Array.isArray(value) && RENAMES[key]) || camel(key);
}

export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function convertValue(key: string, value: unknown, parentIsService: boolean): unknown {
  if (MAP_ATTRIBUTES.has(key) || (key === 'selector' && parentIsService)) return value;
  if (Array.isArray(value)) return value.map((v) => convertValue(key, v, false));
  if (value !== null && typeof value === 'object')
    return convertBlock(value as Record<string, unknown>, false);
  if (INT_OR_STRING.has(key) && typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return value;
}

function convertBlock(block: Record<string, unknown>, isServiceSpec: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(block)) {
    if (TERRAFORM_ONLY.has(key)) continue;
    out[fieldName(key, value)] = convertValue(key, value, isServiceSpec);
  }
  return out;
}

/** The Kubernetes object a `kubernetes_*_v1` resource body produces. */
export function typedToObject(type: string, body: Record<string, unknown>): KubeObject {
  const target = TYPED_RESOURCES[type];
  if (!target) {
    throw new Error(`no Kubernetes mapping for terraform resource type ${type}: add it to TYPED_RESOURCES`);
  }
  const obj: Record<string, unknown> = { apiVersion: target.apiVersion, kind: target.kind };
  for (const [key, value] of Object.entries(body)) {
    if (TERRAFORM_ONLY.has(key)) continue;
    const single = Array.isArray(value) && value.length === 1 ? value[0] : value;
    if (key === 'metadata') obj.metadata = convertBlock(single as Record<string, unknown>, false);
    else if (key === 'spec')
      obj.spec = convertBlock(single as Record<string, unknown>, target.kind === 'Service');
    else if ((key === 'data' || key === 'data_wo') && target.kind === 'Secret') {
      // The provider base64-encodes `data` (and sends write-only `data_wo` the same way).
      obj.data = Object.fromEntries(
        Object.entries(value as Record<string, string>).map(([k, v]) => [
          k,
          Buffer.from(v).toString('base64'),
        ]),
      );
    } else obj[fieldName(key, value)] = convertValue(key, value, false);
  }
  if (
    target.kind === 'Namespace' ||
    target.kind.startsWith('Cluster') ||
    target.kind === 'PriorityClass' ||
    target.kind === 'StorageClass'
  ) {
    delete (obj.metadata as Record<string, unknown>).namespace;
  } else {
    const md = obj.metadata as Record<string, unknown>;
    md.namespace ??= 'default';
  }
  return obj as KubeObject;
}

export interface StackJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  [k: string]: unknown;
}

/** Walks `path` (e.g. `metadata[0].name`) through a resource body. */
function walk(body: unknown, path: string): unknown {
  let cur: unknown = body;
  for (const part of path.split('.')) {
    const m = /^([A-Za-z0-9_-]+)((?:\[\d+\])*)$/.exec(part);
    if (!m) return undefined;
    cur = (cur as Record<string, unknown> | undefined)?.[m[1]!];
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) {
      const i = Number(idx[1]);
      // Single blocks are objects in cdktf JSON but lists of one in terraform expressions.
      if (Array.isArray(cur)) cur = cur[i];
      else if (i !== 0) return undefined;
    }
  }
  return cur;
}

/** What stands for a value terraform computes during apply (a function call such as uuid()). */
export const COMPUTED_PLACEHOLDER = 'computed-at-apply';

/**
 * Evaluates the terraform template syntax in strings, as far as a static copy can: `$${` is a literal
 * `${` and `%%{` a literal `%{`; `${type.name.path}` is read from the same stack; a function call is computed at apply time
 * and becomes COMPUTED_PLACEHOLDER. Anything else (a bare name such as `${datasource}`) is no valid
 * terraform reference: terraform itself rejects it, and so does this.
 */
export function resolveRefs<T>(value: T, stack: StackJson, where: string): T {
  const evaluate = (expr: string): unknown => {
    const local = /^local\.([A-Za-z0-9_-]+)$/.exec(expr.trim());
    const locals = stack.locals as Record<string, unknown> | undefined;
    if (local && locals?.[local[1]!] !== undefined) return resolveRefs(locals[local[1]!], stack, where);
    const ref = /^([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.(.+)$/.exec(expr.trim());
    if (ref && stack.resource?.[ref[1]!]?.[ref[2]!] !== undefined) {
      const v = walk(resolveRefs(stack.resource[ref[1]!]![ref[2]!], stack, where), ref[3]!);
      if (v !== undefined) return v;
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*\(/.test(expr.trim())) return COMPUTED_PLACEHOLDER;
    throw new Error(
      `${where}: cannot resolve \${${expr}} (terraform reads \${...} in a string as an interpolation; write $\${ for a literal \${)`,
    );
  };
  const template = (s: string): unknown => {
    let out = '';
    let i = 0;
    while (i < s.length) {
      if (s.startsWith('$${', i) || s.startsWith('%%{', i)) {
        out += `${s[i]}{`;
        i += 3;
      } else if (s.startsWith('${', i)) {
        const end = s.indexOf('}', i);
        if (end < 0) throw new Error(`${where}: unterminated \${ in ${JSON.stringify(s.slice(0, 80))}`);
        const v = evaluate(s.slice(i + 2, end));
        if (i === 0 && end === s.length - 1) return v;
        if (typeof v === 'object') throw new Error(`${where}: \${${s.slice(i + 2, end)}} is not a string`);
        out += String(v);
        i = end + 1;
      } else {
        out += s[i];
        i += 1;
      }
    }
    return out;
  };
  const visit = (v: unknown): unknown => {
    if (typeof v === 'string' && (v.includes('${') || v.includes('%%{'))) return template(v);
    if (Array.isArray(v)) return v.map(visit);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, visit(x)]));
    }
    return v;
  };
  return visit(value) as T;
}

export interface Extraction {
  readonly objects: ExtractedObject[];
  /** Resources whose object cannot be formed (an unresolvable reference, an unknown type). */
  readonly errors: { readonly address: string; readonly message: string }[];
}

/** Every Kubernetes object a synthesized stack manages through the kubernetes provider. */
export function extractAll(stackName: string, stack: StackJson): Extraction {
  const objects: ExtractedObject[] = [];
  const errors: { address: string; message: string }[] = [];
  for (const [type, byName] of Object.entries(stack.resource ?? {})) {
    if (type !== 'kubernetes_manifest' && !/^kubernetes_.+_v\d+$/.test(type)) continue;
    for (const [name, body] of Object.entries(byName)) {
      const address = `${type}.${name}`;
      try {
        const resolved = resolveRefs(body, stack, `${stackName}: ${address}`);
        if (type === 'kubernetes_manifest') {
          const manifest = resolved.manifest as KubeObject | undefined;
          if (!manifest) throw new Error(`${stackName}: ${address} has no manifest`);
          objects.push({ address, stack: stackName, source: 'manifest', object: manifest });
        } else {
          objects.push({ address, stack: stackName, source: 'typed', object: typedToObject(type, resolved) });
        }
      } catch (err) {
        errors.push({ address: `${stackName}: ${address}`, message: (err as Error).message });
      }
    }
  }
  return { objects, errors };
}

/** Like extractAll, but any resource that cannot be converted is an error. */
export function extractObjects(stackName: string, stack: StackJson): ExtractedObject[] {
  const { objects, errors } = extractAll(stackName, stack);
  if (errors.length) throw new Error(errors.map((e) => e.message).join('\n'));
  return objects;
}
