import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { kubeManifest } from '../lib/kube-manifest.js';

/** A Prometheus alerting rule and a group of them, as the PrometheusRule CRD holds them. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: 'warning' | 'critical' };
  readonly annotations: {
    readonly summary: string;
    readonly description: string;
    /** Where an on-call engineer reads what to do (docs/operations.md). */
    readonly runbook_url?: string;
  };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

export interface PrometheusRulesProps {
  readonly name: string;
  readonly namespace: string;
  /** Rule groups (stacks/observability/rules.ts). */
  readonly groups: readonly RuleGroup[];
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A PrometheusRule (monitoring.coreos.com/v1) holding the given groups.
 * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusRule
 *
 * @example
 * new PrometheusRules(this, 'rules', { name: 'sensor-pipeline', namespace: 'monitoring', groups: ruleGroups() });
 */
export class PrometheusRules extends Construct {
  constructor(scope: Construct, id: string, props: PrometheusRulesProps) {
    super(scope, id);
    const names = new Set<string>();
    props.groups.forEach((g, i) => {
      if (names.has(g.name))
        throw new Error(`'groups[${i}].name' (${JSON.stringify(g.name)}) must be unique`);
      names.add(g.name);
      if (g.rules.length === 0) throw new Error(`'groups[${i}].rules' ([]) must contain at least one rule`);
    });
    kubeManifest(
      this,
      'rule',
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: props.name, namespace: props.namespace },
        spec: {
          groups: props.groups.map((g) => ({
            name: g.name,
            rules: g.rules.map((r) => ({ ...r, labels: { ...r.labels }, annotations: { ...r.annotations } })),
          })),
        },
      },
      props.dependsOn,
    );
  }
}
