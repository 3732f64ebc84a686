import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1/index.js';
import { Construct } from 'constructs';
import type { NamespacesConfig } from '../config/types.js';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';

const DEFAULTS = {
  /**
   * Pod Security Standard enforced on every platform namespace.
   * @see https://kubernetes.io/docs/concepts/security/pod-security-standards/
   */
  podSecurity: 'restricted',
  /** Suffix of the monitoring namespace's sibling that holds node-exporter alone. */
  hostAgentsSuffix: '-node-exporter',
} as const;

export interface PlatformNamespacesProps {
  /** Namespace names, from the environment configuration. */
  readonly namespaces: NamespacesConfig;
  /**
   * Pod Security Standard level enforced (and warned, audited) on every namespace but the host
   * agents' one. Lowering it needs a decision record (docs/decisions/0105-pod-security-levels.md).
   * @default 'restricted'
   */
  readonly podSecurity?: 'restricted' | 'baseline';
  /**
   * Name of the namespace for node-exporter, the one workload that must read the host (hostPID,
   * hostNetwork, host paths) and so runs `privileged`, isolated from everything else.
   * @default `<namespaces.monitoring>-node-exporter`
   */
  readonly hostAgentsNamespace?: string;
}

/**
 * Every namespace of the platform, labelled for Pod Security admission: `restricted` everywhere,
 * and one `privileged` namespace that holds node-exporter and nothing else.
 *
 * @example
 * const ns = new PlatformNamespaces(this, 'namespaces', { namespaces: config.namespaces });
 * new StrimziOperator(this, 'strimzi', { namespace: ns.names.operators, dependsOn: ns.all });
 */
export class PlatformNamespaces extends Construct {
  /** Names, so that later constructs reference what exists. */
  public readonly names: NamespacesConfig;
  /** The privileged namespace of node-exporter. */
  public readonly hostAgents: string;
  /** Every namespace resource, for dependsOn. */
  public readonly all: NamespaceV1[];

  constructor(scope: Construct, id: string, props: PlatformNamespacesProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    this.names = { ...p.namespaces };
    this.hostAgents = p.hostAgentsNamespace ?? `${p.namespaces.monitoring}${p.hostAgentsSuffix}`;
    if (Object.values(p.namespaces).includes(this.hostAgents)) {
      throw new Error(
        `'hostAgentsNamespace' (${JSON.stringify(this.hostAgents)}) must differ from every platform namespace: it is the only privileged one`,
      );
    }
    const labels = (level: string) => ({
      ...MANAGED_LABELS,
      'pod-security.kubernetes.io/enforce': level,
      'pod-security.kubernetes.io/warn': level,
      'pod-security.kubernetes.io/audit': level,
    });
    this.all = Object.entries(p.namespaces).map(
      ([key, name]) => new NamespaceV1(this, key, { metadata: { name, labels: labels(p.podSecurity) } }),
    );
    this.all.push(
      new NamespaceV1(this, 'host-agents', {
        metadata: {
          name: this.hostAgents,
          labels: { ...labels('privileged'), 'app.kubernetes.io/component': 'host-agents' },
        },
      }),
    );
  }
}
