import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateRequester } from '../lib/certificate-approval.js';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/**
 * cert-manager v1.21.2 (cert-manager/cert-manager, deploy/charts/cert-manager). Its chart defaults
 * are restricted-compliant (non-root, RuntimeDefault seccomp, no capabilities, read-only root).
 */
const DEFAULTS = {
  pin: OPERATOR_PINS['cert-manager'] as OperatorPin,
  namespace: 'operators',
  releaseName: 'cert-manager',
  timeoutSeconds: 600,
} as const;

export interface CertManagerOperatorProps {
  /**
   * Namespace of the controller; also its cluster resource namespace, where a CA ClusterIssuer reads
   * its key pair.
   * @default 'operators'
   */
  readonly namespace?: string;
  /** Chart and operator version. @default OPERATOR_PINS['cert-manager'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
  /**
   * ServiceMonitor for the controller (needs the Prometheus Operator CRDs).
   * @default true
   * @see https://cert-manager.io/docs/devops-tips/prometheus-metrics/
   */
  readonly serviceMonitor?: boolean;
  /**
   * The signers cert-manager's own approver approves (the chart's `approveSignerNames`): a signer
   * left out is decided by another approver, approver-policy for the platform CA
   * (docs/decisions/0115-certificate-approval.md). A cluster with ClusterIssuers of its own lists them here.
   * @default ['issuers.cert-manager.io/*', 'clusterissuers.cert-manager.io/*'] (the chart's: everything)
   * @see https://cert-manager.io/docs/usage/certificaterequest/#approval
   */
  readonly autoApproveSignerNames?: readonly string[];
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * cert-manager and its CRDs via Helm: issues every TLS certificate of the platform
 * (docs/decisions/0107-platform-ca-and-tls.md).
 *
 * @example
 * new CertManagerOperator(this, 'cert-manager', { dependsOn: [promStack.release] });
 */
export class CertManagerOperator extends Construct {
  public readonly release: OperatorRelease['release'];
  /** Where a CA ClusterIssuer's Secret must live. */
  public readonly clusterResourceNamespace: string;
  /** The controller's identity, the requester of every CertificateRequest it creates. */
  public readonly requester: CertificateRequester;

  constructor(scope: Construct, id: string, props: CertManagerOperatorProps = {}) {
    super(scope, id);
    const p = { ...DEFAULTS, serviceMonitor: true, ...props };
    this.clusterResourceNamespace = p.namespace;
    // The chart names the controller's ServiceAccount after the release.
    this.requester = { namespace: p.namespace, serviceAccount: p.releaseName };
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      ...p.pin,
      crds: operatorCrds('cert-manager', p.pin.appVersion),
      values: {
        crds: { enabled: false },
        clusterResourceNamespace: p.namespace,
        approveSignerNames: [
          ...(p.autoApproveSignerNames ?? ['issuers.cert-manager.io/*', 'clusterissuers.cert-manager.io/*']),
        ],
        prometheus: { enabled: p.serviceMonitor, servicemonitor: { enabled: p.serviceMonitor } },
      },
      userValues: p.values,
    }).release;
  }
}
