import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/** CloudNativePG operator 1.30.0 = chart 0.29.0 (cloudnative-pg/charts, charts/cloudnative-pg/Chart.yaml). */
const DEFAULTS = {
  pin: OPERATOR_PINS['cloudnative-pg'] as OperatorPin,
  namespace: 'operators',
  releaseName: 'cnpg',
  timeoutSeconds: 600,
} as const;

export interface CnpgOperatorProps {
  /** @default 'operators' */
  readonly namespace?: string;
  /** Chart and operator version. @default OPERATOR_PINS['cloudnative-pg'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
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
      ...p.pin,
      crds: operatorCrds('cloudnative-pg', p.pin.appVersion),
      values: { crds: { create: false }, monitoring: { podMonitorEnabled: p.operatorPodMonitor } },
      userValues: p.values,
    }).release;
  }
}
