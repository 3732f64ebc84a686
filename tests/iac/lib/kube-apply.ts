/**
 * Sends objects to the real API server the way `kubernetes_manifest` does: server-side apply with
 * fieldValidation=Strict, so an unknown field, a wrong type or a schema violation is an error.
 * Namespaces are created for real first; everything else is applied with dryRun=All, which runs
 * validation and admission in full without leaving state behind.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeApiError, KubeClient, describe, type KubeObject } from '../../../local/kube/client.js';

export interface Labelled {
  /** Where the object came from, for failure messages (a terraform address, a chart file). */
  readonly origin: string;
  readonly object: KubeObject;
}

export interface ApplyFailure {
  readonly origin: string;
  readonly object: string;
  readonly message: string;
}

const CLUSTER_SCOPED_DEFAULT = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
]);

/** Namespaces created by ensureNamespaces in this process, for deleteCreatedNamespaces. */
const created = new Set<string>();

/** Creates (for real) every namespace the objects live in, using the objects' own Namespace where given. */
export async function ensureNamespaces(client: KubeClient, items: readonly Labelled[]): Promise<void> {
  const declared = new Map<string, KubeObject>();
  for (const { object } of items)
    if (object.kind === 'Namespace' && object.apiVersion === 'v1') declared.set(object.metadata.name, object);
  const needed = new Set<string>(declared.keys());
  for (const { object } of items) {
    if (object.metadata.namespace && !CLUSTER_SCOPED_DEFAULT.has(object.kind))
      needed.add(object.metadata.namespace);
  }
  for (const ns of [...needed].sort()) {
    const obj = declared.get(ns) ?? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } };
    await client.apply(obj, { fieldManager: 'iac-tests' });
    created.add(ns);
  }
}

/** Deletes namespaces and waits until the namespace controller has removed them (and their contents). */
export async function deleteNamespaces(
  client: KubeClient,
  names: Iterable<string>,
  timeoutMs = 120_000,
): Promise<void> {
  const objs = [...names].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }));
  for (const o of objs) await client.delete(o);
  const deadline = Date.now() + timeoutMs;
  for (const o of objs) {
    while ((await client.get(o)) !== undefined) {
      if (Date.now() > deadline)
        throw new Error(`namespace ${o.metadata.name} still exists ${timeoutMs / 1000} s after deletion`);
      await sleep(250);
    }
  }
}

/** Removes what ensureNamespaces created, so the next test file starts from an empty server. */
export async function deleteCreatedNamespaces(client: KubeClient): Promise<void> {
  await deleteNamespaces(client, created);
  created.clear();
}

/** Applies every object (namespaces for real, the rest dry-run) and returns every rejection. */
export async function applyAll(client: KubeClient, items: readonly Labelled[]): Promise<ApplyFailure[]> {
  await ensureNamespaces(client, items);
  const failures: ApplyFailure[] = [];
  for (const { origin, object } of items) {
    if (object.kind === 'Namespace' && object.apiVersion === 'v1') continue;
    try {
      await client.apply(object, { dryRun: true, fieldManager: 'iac-tests' });
    } catch (err) {
      failures.push({
        origin,
        object: describe(object),
        message: err instanceof KubeApiError ? KubeApiError.reason(err.body) : (err as Error).message,
      });
    }
  }
  return failures;
}

export function formatFailures(failures: readonly ApplyFailure[]): string {
  return failures.map((f) => `- ${f.origin} ${f.object}:\n    ${f.message}`).join('\n');
}
