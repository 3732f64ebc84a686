import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1/index.js';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1/index.js';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';

const READ = ['get', 'list', 'watch'];

/**
 * Core (`""`) resources the stacks declare or that their plans look up. Secrets are left out on
 * purpose: RBAC has no deny, so the way to keep them from a plan is never to name them.
 */
const CORE_RESOURCES = [
  'namespaces',
  'configmaps',
  'services',
  'serviceaccounts',
  'persistentvolumeclaims',
  'pods',
  'endpoints',
  'resourcequotas',
  'limitranges',
];

/**
 * API groups whose every resource a plan may read: Kubernetes' own groups the stacks write to, and
 * the operators' (their objects reference Secrets by name; none holds a secret value).
 */
const READABLE_GROUPS = [
  'apps',
  'policy',
  'networking.k8s.io',
  'rbac.authorization.k8s.io',
  'apiextensions.k8s.io',
  'admissionregistration.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'autoscaling',
  'batch',
  'kafka.strimzi.io',
  'core.strimzi.io',
  'postgresql.cnpg.io',
  'barmancloud.cnpg.io',
  'cert-manager.io',
  'policy.cert-manager.io',
  'keda.sh',
  'eventing.keda.sh',
  'monitoring.coreos.com',
];

export interface PlanReaderProps {
  /** Namespace of the ServiceAccount. */
  readonly namespace: string;
  /** @default 'platform-plan-reader' */
  readonly name?: string;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The identity pull-request plans run as: a ServiceAccount that may read every kind the stacks
 * manage, and no Secret. Code from a pull request (a data source, a provider) that tries to read a
 * Secret, the CA's key included, is refused by the API server; plans run with `-refresh=false`,
 * because refreshing a Secret resource reads it (docs/decisions/0112-secrets-out-of-terraform-state.md).
 *
 * @example
 * new PlanReader(this, 'plan-reader', { namespace: ns.names.operators, dependsOn: ns.all });
 * // then: kubectl -n operators create token platform-plan-reader (docs/operations.md#ci-credentials)
 */
export class PlanReader extends Construct {
  /** ServiceAccount name, in `namespace`. */
  public readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, props: PlanReaderProps) {
    super(scope, id);
    const name = props.name ?? 'platform-plan-reader';
    this.serviceAccountName = name;
    const dependsOn = [...(props.dependsOn ?? [])];
    const labels = { ...MANAGED_LABELS };
    new ServiceAccountV1(this, 'service-account', {
      metadata: { name, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
      dependsOn,
    });
    const role = new ClusterRoleV1(this, 'role', {
      metadata: { name, labels },
      rule: [
        { apiGroups: [''], resources: CORE_RESOURCES, verbs: READ },
        { apiGroups: READABLE_GROUPS, resources: ['*'], verbs: READ },
      ],
    });
    new ClusterRoleBindingV1(this, 'binding', {
      metadata: { name, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      subject: [{ kind: 'ServiceAccount', name, namespace: props.namespace }],
      dependsOn,
    });
  }
}
