import { RoleBindingV1 } from '@cdktf/provider-kubernetes/lib/role-binding-v1/index.js';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateRequester } from '../lib/certificate-approval.js';
import type { CertificateIssuer } from '../lib/connections.js';
import { kubeManifest, MANAGED_LABELS, type KubeObject } from '../lib/kube-manifest.js';

/** What one certificate may ask its issuer for: exactly what its Certificate requests. */
export interface CertificatePolicyProps {
  readonly issuer: CertificateIssuer;
  readonly requester: CertificateRequester;
  /** The Certificate's namespace: the only one where a request is approved. */
  readonly namespace: string;
  /** The Certificate's name. */
  readonly certificateName: string;
  readonly commonName: string;
  /** Exact names, or `*.` patterns as the Certificate lists them. */
  readonly dnsNames: readonly string[];
  readonly usages: readonly string[];
  /** The Certificate's lifetime: a request for longer is denied. */
  readonly maxDuration: string;
  readonly privateKey: { readonly algorithm: string; readonly size: number };
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The CertificateRequestPolicy of one certificate and the Role that lets cert-manager use it in the
 * certificate's namespace only (approver-policy checks the requester's `use` right there with a
 * SubjectAccessReview). Same common name from another namespace: no bound policy, denied.
 *
 * @example
 * new CertificatePolicy(this, 'policy', { issuer, requester, namespace: 'sensor-pipeline',
 *   certificateName: 'sensor-worker-tls', commonName: 'sensor-worker', dnsNames: [],
 *   usages: ['digital signature', 'key encipherment', 'client auth'], maxDuration: '2160h',
 *   privateKey: { algorithm: 'ECDSA', size: 256 } });
 */
export class CertificatePolicy extends Construct {
  /** The policy and its RBAC: the Certificate depends on them, so its first request meets them. */
  public readonly resources: ITerraformDependable[];
  public readonly policyName: string;

  constructor(scope: Construct, id: string, props: CertificatePolicyProps) {
    super(scope, id);
    const p = props;
    // Cluster-scoped: the namespace in the name keeps two namespaces' certificates apart.
    this.policyName = `${p.namespace}.${p.certificateName}`;
    const policy = kubeManifest(this, 'policy', certificateRequestPolicy(this.policyName, p), p.dependsOn);
    const labels = { ...MANAGED_LABELS };
    const roleName = `certificate-policy-${p.certificateName}`;
    const role = new RoleV1(this, 'role', {
      metadata: { name: roleName, namespace: p.namespace, labels },
      rule: [
        {
          apiGroups: ['policy.cert-manager.io'],
          resources: ['certificaterequestpolicies'],
          verbs: ['use'],
          resourceNames: [this.policyName],
        },
      ],
      dependsOn: p.dependsOn ? [...p.dependsOn] : undefined,
    });
    const binding = new RoleBindingV1(this, 'binding', {
      metadata: { name: roleName, namespace: p.namespace, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.metadata.name },
      subject: [
        { kind: 'ServiceAccount', name: p.requester.serviceAccount, namespace: p.requester.namespace },
      ],
    });
    this.resources = [policy, role, binding];
  }
}

/** The policy object: every field of a request is checked against the Certificate's own. */
export function certificateRequestPolicy(name: string, p: CertificatePolicyProps): KubeObject {
  return {
    apiVersion: 'policy.cert-manager.io/v1alpha1',
    kind: 'CertificateRequestPolicy',
    metadata: { name, labels: { ...MANAGED_LABELS } },
    spec: {
      allowed: {
        commonName: { value: p.commonName, required: true },
        ...(p.dnsNames.length ? { dnsNames: { values: [...p.dnsNames], required: true } } : {}),
        usages: [...p.usages],
        isCA: false,
      },
      constraints: {
        maxDuration: p.maxDuration,
        privateKey: {
          algorithm: p.privateKey.algorithm,
          minSize: p.privateKey.size,
          maxSize: p.privateKey.size,
        },
      },
      selector: {
        issuerRef: { group: 'cert-manager.io', kind: p.issuer.kind, name: p.issuer.name },
        namespace: { matchNames: [p.namespace] },
      },
    },
  };
}
