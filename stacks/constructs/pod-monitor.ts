import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { kubeManifest } from '../lib/kube-manifest.js';

const DEFAULTS = { path: '/metrics', interval: '30s' };

export interface PodMonitorProps {
  readonly name: string;
  /** Namespace of the PodMonitor and of the pods it selects. */
  readonly namespace: string;
  /** Pod label selector. */
  readonly matchLabels?: Readonly<Record<string, string>>;
  /** Pod label expressions, e.g. `strimzi.io/kind In [Kafka]`. */
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists';
    readonly values?: readonly string[];
  }[];
  /** Name of the container port to scrape. */
  readonly port: string;
  /** @default '/metrics' */
  readonly path?: string;
  /**
   * Scrape interval.
   * @default '30s'
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PodMetricsEndpoint
   */
  readonly interval?: string;
  /** Copy these pod labels to the series (e.g. `cnpg.io/cluster`). @default [] */
  readonly podTargetLabels?: readonly string[];
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A PodMonitor (monitoring.coreos.com/v1).
 *
 * @example
 * new PodMonitor(this, 'cnpg', { name: 'sensor-pg', namespace: 'postgres', port: 'metrics',
 *   matchLabels: { 'cnpg.io/cluster': 'sensor-pg', 'cnpg.io/podRole': 'instance' } });
 */
export class PodMonitor extends Construct {
  constructor(scope: Construct, id: string, props: PodMonitorProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (!p.matchLabels && !p.matchExpressions) {
      throw new Error(
        `'matchLabels' and 'matchExpressions' of PodMonitor '${p.name}' (both undefined): one is required, an empty selector scrapes every pod`,
      );
    }
    kubeManifest(
      this,
      'monitor',
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PodMonitor',
        metadata: { name: p.name, namespace: p.namespace },
        spec: {
          selector: {
            ...(p.matchLabels ? { matchLabels: { ...p.matchLabels } } : {}),
            ...(p.matchExpressions
              ? {
                  matchExpressions: p.matchExpressions.map((e) => ({
                    key: e.key,
                    operator: e.operator,
                    ...(e.values ? { values: [...e.values] } : {}),
                  })),
                }
              : {}),
          },
          namespaceSelector: { matchNames: [p.namespace] },
          podMetricsEndpoints: [{ port: p.port, path: p.path, interval: p.interval }],
          ...(p.podTargetLabels ? { podTargetLabels: [...p.podTargetLabels] } : {}),
        },
      },
      p.dependsOn,
    );
  }
}
