import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1/index.js';
import { Construct } from 'constructs';
import type { NamespacesConfig } from '../config/types.js';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';

const DEFAULTS = {
  /**
   * Pod Security Standard enforced on workload namespaces.
   * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
   */
  workloadPodSecurity: 'restricted',
  /** node-exporter (monitoring) reads the host; operators share that namespace class. */
  privilegedPodSecurity: 'privileged',
  /**
   * Temporal's chart runs the schema job and admintools without a restricted securityContext,
   * so its namespace enforces baseline (docs/decisions/0105-pod-security-levels.md).
   */
  temporalPodSecurity: 'baseline',
} as const;

export interface PlatformNamespacesProps {
  /** Namespace names, from the environment configuration. */
  readonly namespaces: NamespacesConfig;
  /**
   * Pod Security Standard level for kafka, postgres, temporal and pipeline namespaces.
   * @default 'restricted'
   */
  readonly workloadPodSecurity?: 'restricted' | 'baseline';
}

/**
 * Every namespace of the platform, labelled for Pod Security admission.
 *
 * @example
 * const ns = new PlatformNamespaces(this, 'namespaces', { namespaces: config.namespaces });
 * new StrimziOperator(this, 'strimzi', { namespace: ns.names.operators, dependsOn: ns.all });
 */
export class PlatformNamespaces extends Construct {
  /** Names, so that later constructs reference what exists. */
  public readonly names: NamespacesConfig;
  /** Every namespace resource, for dependsOn. */
  public readonly all: NamespaceV1[];

  constructor(scope: Construct, id: string, props: PlatformNamespacesProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    this.names = { ...p.namespaces };
    const privileged = new Set([p.namespaces.operators, p.namespaces.monitoring]);
    this.all = Object.entries(p.namespaces).map(([key, name]) => {
      const level = privileged.has(name)
        ? p.privilegedPodSecurity
        : name === p.namespaces.temporal
          ? p.temporalPodSecurity
          : p.workloadPodSecurity;
      return new NamespaceV1(this, key, {
        metadata: {
          name,
          labels: {
            ...MANAGED_LABELS,
            'pod-security.kubernetes.io/enforce': level,
            'pod-security.kubernetes.io/warn': level,
          },
        },
      });
    });
  }
}
