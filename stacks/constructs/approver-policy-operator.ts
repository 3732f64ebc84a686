import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/**
 * approver-policy v0.28.0 (cert-manager/approver-policy, deploy/charts/approver-policy). Its chart
 * defaults are restricted-compliant (non-root, RuntimeDefault seccomp, no capabilities, read-only root).
 */
const DEFAULTS = {
  pin: OPERATOR_PINS['approver-policy'] as OperatorPin,
  namespace: 'operators',
  releaseName: 'cert-manager-approver-policy',
  timeoutSeconds: 600,
} as const;

export interface ApproverPolicyOperatorProps {
  /** Beside cert-manager. @default 'operators' */
  readonly namespace?: string;
  /**
   * The signers it may approve for (RBAC `approve` on `signers`): those cert-manager's own approver
   * leaves to it. Required: approving for every signer would race cert-manager's approver.
   * @see https://cert-manager.io/docs/policy/approval/approver-policy/
   */
  readonly approveSignerNames: readonly string[];
  /** Chart and approver version. @default OPERATOR_PINS['approver-policy'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
  /** ServiceMonitor for its metrics (needs the Prometheus Operator CRDs). @default true */
  readonly serviceMonitor?: boolean;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** cert-manager's release (the CertificateRequest CRD, the webhook's CA injection). @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * approver-policy and its CRD via Helm: approves or denies CertificateRequests by
 * CertificateRequestPolicy, so the platform CA signs only the certificates the stacks declare
 * (docs/decisions/0115-certificate-approval.md).
 *
 * @example
 * new ApproverPolicyOperator(this, 'approver-policy', {
 *   approveSignerNames: ['clusterissuers.cert-manager.io/sensor-platform-ca'], dependsOn: [certManager.release] });
 */
export class ApproverPolicyOperator extends Construct {
  public readonly release: OperatorRelease['release'];

  constructor(scope: Construct, id: string, props: ApproverPolicyOperatorProps) {
    super(scope, id);
    const p = { ...DEFAULTS, serviceMonitor: true, ...props };
    if (p.approveSignerNames.length === 0 || p.approveSignerNames.some((s) => s.trim() === '')) {
      throw new Error(
        `'approveSignerNames' (${JSON.stringify(p.approveSignerNames)}) must name at least one signer, e.g. clusterissuers.cert-manager.io/<name>: an empty list lets approver-policy approve for every signer`,
      );
    }
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      ...p.pin,
      crds: operatorCrds('approver-policy', p.pin.appVersion),
      values: {
        crds: { enabled: false },
        app: {
          approveSignerNames: [...p.approveSignerNames],
          metrics: { service: { servicemonitor: { enabled: p.serviceMonitor } } },
        },
      },
      userValues: p.values,
    }).release;
  }
}
