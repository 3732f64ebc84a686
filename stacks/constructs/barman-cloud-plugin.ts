import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/**
 * CloudNativePG's Barman Cloud plugin 0.13.0 = chart plugin-barman-cloud 0.7.0 (cloudnative-pg/charts,
 * charts/plugin-barman-cloud/Chart.yaml); its ObjectStore CRD is in the chart's templates, so a
 * chart bump upgrades it. It needs cert-manager (its gRPC certificates) and runs beside the operator.
 */
const DEFAULTS = {
  pin: OPERATOR_PINS['plugin-barman-cloud'] as OperatorPin,
  namespace: 'operators',
  releaseName: 'barman-cloud',
  timeoutSeconds: 600,
} as const;

export interface BarmanCloudPluginProps {
  /** The CloudNativePG operator's namespace (the plugin must run in it). @default 'operators' */
  readonly namespace?: string;
  /** Chart and operator version. @default OPERATOR_PINS['plugin-barman-cloud'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** The CNPG operator and cert-manager releases. @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The Barman Cloud plugin (backups and WAL archiving to an object store) via Helm.
 *
 * @example
 * new BarmanCloudPlugin(this, 'barman-cloud', { dependsOn: [cnpg.release, certManager.release] });
 */
export class BarmanCloudPlugin extends Construct {
  public readonly release: OperatorRelease['release'];

  constructor(scope: Construct, id: string, props: BarmanCloudPluginProps = {}) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      ...p.pin,
      crds: operatorCrds('plugin-barman-cloud', p.pin.appVersion),
      values: { crds: { create: false } },
      userValues: p.values,
    }).release;
  }
}
