import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { mergeValues, toValuesYaml } from '../lib/helm-values.js';

/** A pinned Helm chart. */
export interface ChartPin {
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
}

export interface OperatorReleaseProps extends ChartPin {
  /** Helm release name. */
  readonly releaseName: string;
  readonly namespace: string;
  /** Values computed by the owning construct. */
  readonly values: Record<string, unknown>;
  /** The user's raw Helm values; merged last, so they win. */
  readonly userValues?: Record<string, unknown>;
  /** Seconds Helm waits for the release to become ready. */
  readonly timeoutSeconds: number;
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The helm_release shared by the operator constructs: atomic, waits for readiness (so CRDs and
 * webhooks exist before the next layer plans), values rendered once as YAML.
 *
 * @example
 * new OperatorRelease(this, 'release', { ...pin, releaseName: 'keda', namespace: 'operators', values: {}, timeoutSeconds: 600 });
 */
export class OperatorRelease extends Construct {
  public readonly release: Release;

  constructor(scope: Construct, id: string, props: OperatorReleaseProps) {
    super(scope, id);
    this.release = new Release(this, 'release', {
      name: props.releaseName,
      chart: props.chart,
      repository: props.repository,
      version: props.version,
      namespace: props.namespace,
      createNamespace: false,
      atomic: true,
      wait: true,
      timeout: props.timeoutSeconds,
      values: [toValuesYaml(mergeValues(props.values, props.userValues))],
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
  }
}
