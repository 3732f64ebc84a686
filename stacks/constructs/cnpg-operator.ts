import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { OperatorRelease } from './operator-release.js';

/** CloudNativePG operator 1.30.0 = chart 0.29.0 (cloudnative-pg/charts, charts/cloudnative-pg/Chart.yaml). */
const DEFAULTS = {
  chart: 'cloudnative-pg',
  repository: 'https://cloudnative-pg.github.io/charts',
  version: '0.29.0',
  namespace: 'operators',
  releaseName: 'cnpg',
  timeoutSeconds: 600,
} as const;

export interface CnpgOperatorProps {
  /** @default 'operators' */
  readonly namespace?: string;
  /** Chart version. @default '0.29.0' (operator 1.30.0) */
  readonly version?: string;
  /**
   * Let the chart create a PodMonitor for the operator itself (needs the Prometheus Operator CRDs).
   * @default true
   * @see https://cloudnative-pg.io/documentation/current/monitoring/
   */
  readonly operatorPodMonitor?: boolean;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The CloudNativePG operator and its CRDs via Helm.
 *
 * @example
 * new CnpgOperator(this, 'cnpg', { dependsOn: [promStack.release] });
 */
export class CnpgOperator extends Construct {
  public readonly release: OperatorRelease['release'];

  constructor(scope: Construct, id: string, props: CnpgOperatorProps = {}) {
    super(scope, id);
    const p = { ...DEFAULTS, operatorPodMonitor: true, ...props };
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      values: { crds: { create: true }, monitoring: { podMonitorEnabled: p.operatorPodMonitor } },
      userValues: p.values,
    }).release;
  }
}
