import { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';

/** A Kubernetes object as it is sent to the API server. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: unknown;
  readonly [key: string]: unknown;
}

/** Field manager for server-side apply, so drift from other managers is visible in plans. */
export const FIELD_MANAGER = 'sensor-pipeline-cdktf';

/** Labels every object created by the stacks carries. */
export const MANAGED_LABELS = {
  'app.kubernetes.io/part-of': 'sensor-pipeline',
  'app.kubernetes.io/managed-by': 'cdktf',
} as const;

/**
 * A custom resource through `kubernetes_manifest` (server-side apply). Plain Kubernetes objects use
 * the typed `_v1` resources instead.
 */
export function kubeManifest(
  scope: Construct,
  id: string,
  object: KubeObject,
  dependsOn: readonly ITerraformDependable[] = [],
  /** Condition Terraform waits for after apply, e.g. `{ type: 'Ready', status: 'True' }`. */
  waitForCondition?: { readonly type: string; readonly status: string },
): Manifest {
  return new Manifest(scope, id, {
    manifest: {
      ...object,
      metadata: { ...object.metadata, labels: { ...MANAGED_LABELS, ...object.metadata.labels } },
    },
    fieldManager: { name: FIELD_MANAGER, forceConflicts: true },
    dependsOn: [...dependsOn],
    ...(waitForCondition ? { wait: { condition: [{ ...waitForCondition }] } } : {}),
  });
}
