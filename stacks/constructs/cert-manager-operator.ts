import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { OperatorRelease } from './operator-release.js';

/**
 * cert-manager v1.21.2 (cert-manager/cert-manager, deploy/charts/cert-manager). Its chart defaults
 * are restricted-compliant (non-root, RuntimeDefault seccomp, no capabilities, read-only root).
 */
const DEFAULTS = {
  chart: 'cert-manager',
  repository: 'https://charts.jetstack.io',
  version: 'v1.21.2',
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
  /** Chart version (= cert-manager version). @default 'v1.21.2' */
  readonly version?: string;
  /**
   * ServiceMonitor for the controller (needs the Prometheus Operator CRDs).
   * @default true
   * @see https://cert-manager.io/docs/devops-tips/prometheus-metrics/
   */
  readonly serviceMonitor?: boolean;
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

  constructor(scope: Construct, id: string, props: CertManagerOperatorProps = {}) {
    super(scope, id);
    const p = { ...DEFAULTS, serviceMonitor: true, ...props };
    this.clusterResourceNamespace = p.namespace;
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      values: {
        // CRDs stay when the release is removed: deleting them would delete every Certificate.
        crds: { enabled: true, keep: true },
        clusterResourceNamespace: p.namespace,
        prometheus: { enabled: p.serviceMonitor, servicemonitor: { enabled: p.serviceMonitor } },
      },
      userValues: p.values,
    }).release;
  }
}
