import { ClusterRoleBindingV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-binding-v1/index.js';
import { ClusterRoleV1 } from '@cdktf/provider-kubernetes/lib/cluster-role-v1/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import {
  PLATFORM_CA_NAME,
  platformCaIssuers,
  type CertificateApproval,
} from '../lib/certificate-approval.js';
import type { CertificateIssuer } from '../lib/connections.js';
import { kubeManifest, MANAGED_LABELS } from '../lib/kube-manifest.js';

const DEFAULTS = {
  name: PLATFORM_CA_NAME,
  /** Ten years: the root only signs; leaf certificates rotate on their own schedule. */
  duration: '87600h',
  renewBefore: '720h',
};

export interface PlatformCaProps {
  /** cert-manager's cluster resource namespace: the CA key pair must live there. */
  readonly namespace: string;
  /** Prefix of the issuers and the CA Secret. @default 'sensor-platform' */
  readonly name?: string;
  /**
   * Lifetime of the root certificate (a Go duration).
   * @default '87600h'
   * @see https://cert-manager.io/docs/configuration/ca/
   */
  readonly duration?: string;
  /** @default '720h' */
  readonly renewBefore?: string;
  /**
   * approver-policy decides the CA's requests (the operators layer turned cert-manager's own approver
   * off for it): each certificate brings its policy, and a request no policy approves is denied.
   * Without it, cert-manager approves any request from any namespace.
   * @default undefined
   */
  readonly approval?: CertificateApproval;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The platform's private CA: a self-signed root made by cert-manager and a CA ClusterIssuer that
 * signs every server and client certificate (Kafka listener, Postgres, Temporal, the pipeline's
 * clients). Each issued Secret carries the root as `ca.crt`, so every namespace that holds a
 * certificate also holds the trust anchor: no CA copying between namespaces. With `approval`, the
 * ClusterIssuer signs only the certificates the stacks declare, in their namespaces
 * (docs/decisions/0115-certificate-approval.md).
 *
 * @example
 * const ca = new PlatformCa(this, 'ca', { namespace: 'operators' });
 * new TlsCertificate(this, 'pg', { issuer: ca.issuer, namespace: 'postgres', ... });
 */
export class PlatformCa extends Construct {
  /** The ClusterIssuer that signs leaf certificates. */
  public readonly issuer: CertificateIssuer;
  /** Issuers and the root Certificate, for dependsOn. */
  public readonly ready: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: PlatformCaProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (!/^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/.test(p.duration) || p.duration === '') {
      throw new Error(
        `'duration' (${JSON.stringify(p.duration)}) must be a Go duration in h/m/s, e.g. 87600h`,
      );
    }
    const dependsOn = [...(p.dependsOn ?? [])];
    const names = platformCaIssuers(p.name);
    const selfSigned = kubeManifest(
      this,
      'selfsigned',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: names.selfSigned },
        spec: { selfSigned: {} },
      },
      dependsOn,
    );
    const secretName = `${p.name}-root-ca`;
    const root = kubeManifest(
      this,
      'root',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: secretName, namespace: p.namespace },
        spec: {
          isCA: true,
          commonName: `${p.name} root CA`,
          secretName,
          duration: p.duration,
          renewBefore: p.renewBefore,
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Never' },
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: names.selfSigned },
        },
      },
      [selfSigned],
    );
    const ca = kubeManifest(
      this,
      'issuer',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: names.ca },
        spec: { ca: { secretName } },
      },
      [root],
    );
    this.issuer = { kind: 'ClusterIssuer', name: names.ca, ...(p.approval ? { approval: p.approval } : {}) };
    this.ready = [selfSigned, root, ca, ...(p.approval ? this.refuseUnlisted(names.ca, dependsOn) : [])];
  }

  /**
   * A policy bound everywhere that allows nothing: a request no certificate's policy approves is then
   * Denied with the reasons (not left pending), which `kubectl describe certificaterequest` shows.
   */
  private refuseUnlisted(
    issuerName: string,
    dependsOn: readonly ITerraformDependable[],
  ): ITerraformDependable[] {
    const name = `${issuerName}-unlisted`;
    const labels = { ...MANAGED_LABELS };
    const policy = kubeManifest(
      this,
      'refuse-unlisted',
      {
        apiVersion: 'policy.cert-manager.io/v1alpha1',
        kind: 'CertificateRequestPolicy',
        metadata: { name, labels },
        spec: {
          allowed: {},
          selector: { issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: issuerName } },
        },
      },
      dependsOn,
    );
    const role = new ClusterRoleV1(this, 'refuse-unlisted-role', {
      metadata: { name: `certificate-policy-${name}`, labels },
      rule: [
        {
          apiGroups: ['policy.cert-manager.io'],
          resources: ['certificaterequestpolicies'],
          verbs: ['use'],
          resourceNames: [name],
        },
      ],
    });
    const binding = new ClusterRoleBindingV1(this, 'refuse-unlisted-binding', {
      metadata: { name: `certificate-policy-${name}`, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
      // Everyone who can create a CertificateRequest, not only cert-manager: whoever asks, a request
      // for this CA that no certificate's policy approves is denied.
      subject: [{ kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    return [policy, role, binding];
  }
}
