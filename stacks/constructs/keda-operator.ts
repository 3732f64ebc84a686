import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/** KEDA 2.20.2 (kedacore/charts, keda/Chart.yaml: version and appVersion 2.20.2). */
const DEFAULTS = {
  pin: OPERATOR_PINS.keda as OperatorPin,
  namespace: 'operators',
  releaseName: 'keda',
  timeoutSeconds: 600,
} as const;

export interface KedaOperatorProps {
  /** @default 'operators' */
  readonly namespace?: string;
  /** Chart and operator version. @default OPERATOR_PINS['keda'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
  /**
   * ServiceMonitors for the operator and metrics server (needs the Prometheus Operator CRDs).
   * @default true
   * @see https://keda.sh/docs/2.20/integrations/prometheus/
   */
  readonly serviceMonitors?: boolean;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * KEDA (ScaledObject, TriggerAuthentication CRDs and the metrics API server) via Helm.
 *
 * @example
 * new KedaOperator(this, 'keda', { dependsOn: [promStack.release] });
 */
export class KedaOperator extends Construct {
  public readonly release: OperatorRelease['release'];

  constructor(scope: Construct, id: string, props: KedaOperatorProps = {}) {
    super(scope, id);
    const p = { ...DEFAULTS, serviceMonitors: true, ...props };
    const monitor = { enabled: p.serviceMonitors, serviceMonitor: { enabled: p.serviceMonitors } };
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      ...p.pin,
      crds: operatorCrds('keda', p.pin.appVersion),
      values: { crds: { install: false }, prometheus: { operator: monitor, metricServer: monitor } },
      userValues: p.values,
    }).release;
  }
}
