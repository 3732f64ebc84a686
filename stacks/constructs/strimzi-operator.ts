import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/**
 * Strimzi 1.2.0: serves `kafka.strimzi.io/v1` and supports Kafka 4.3.1 (its default).
 * Verified against kafka-versions.yaml, packaging/install and the chart README (OCI chart) at tag 1.2.0
 * of strimzi/strimzi-kafka-operator.
 */
const DEFAULTS = {
  pin: OPERATOR_PINS.strimzi as OperatorPin,
  namespace: 'operators',
  releaseName: 'strimzi',
  timeoutSeconds: 600,
} as const;

export interface StrimziOperatorProps {
  /**
   * Namespaces the cluster operator watches: where Kafka, KafkaNodePool, KafkaTopic and KafkaUser live.
   * @see https://strimzi.io/docs/operators/latest/deploying#deploying-cluster-operator-helm-chart-str
   */
  readonly watchNamespaces: readonly string[];
  /** @default 'operators' */
  readonly namespace?: string;
  /** Chart and operator version. @default OPERATOR_PINS['strimzi'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The Strimzi cluster operator (and its CRDs) via Helm.
 *
 * @example
 * new StrimziOperator(this, 'strimzi', { watchNamespaces: ['kafka', 'sensor-pipeline'] });
 */
export class StrimziOperator extends Construct {
  public readonly release: OperatorRelease['release'];
  public readonly version: string;

  constructor(scope: Construct, id: string, props: StrimziOperatorProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (p.watchNamespaces.length === 0) {
      throw new Error(
        `'watchNamespaces' ([]) must name at least one namespace: the operator would watch nothing`,
      );
    }
    this.version = p.pin.version;
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      ...p.pin,
      crds: operatorCrds('strimzi', p.pin.appVersion),
      values: {
        watchNamespaces: [...p.watchNamespaces],
        watchAnyNamespace: false,
        // Operands get restricted-compliant security contexts, so their namespaces can enforce `restricted`.
        extraEnvs: [{ name: 'STRIMZI_POD_SECURITY_PROVIDER_CLASS', value: 'restricted' }],
        // And the operator itself, so the operators namespace can enforce `restricted` too.
        podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
      },
      userValues: p.values,
    }).release;
  }
}
