import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import type { Manifest } from '@cdktf/provider-kubernetes/lib/manifest/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { mergeValues, toValuesYaml } from '../lib/helm-values.js';
import { kubeManifest, type KubeObject } from '../lib/kube-manifest.js';
import type { ChartPin } from '../lib/operator-pins.js';

export interface OperatorReleaseProps extends ChartPin {
  /** Helm release name. */
  readonly releaseName: string;
  readonly namespace: string;
  /** Values computed by the owning construct; they must turn the chart's own CRD templates off. */
  readonly values: Record<string, unknown>;
  /** The user's raw Helm values; merged last, so they win. */
  readonly userValues?: Record<string, unknown>;
  /** Seconds Helm waits for the release to become ready. */
  readonly timeoutSeconds: number;
  /**
   * The operator's CRDs at the version the chart ships (stacks/lib/operator-crds.ts), applied by
   * server-side apply before the chart. Helm installs a chart's CRDs once and never upgrades them;
   * applied here, a bump changes them and shows as a plan diff.
   */
  readonly crds: readonly KubeObject[];
  /**
   * Import CRDs that already exist (installed by an earlier chart) instead of creating them:
   * `kubernetes_manifest` refuses to create an object that exists. Once, on the first deploy of a
   * cluster whose CRDs a chart installed (docs/upgrades.md#operators).
   * @default false
   */
  readonly adoptExistingCrds?: boolean;
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The import id of a cluster-scoped object for `kubernetes_manifest`. */
const crdImportId = (name: string): string =>
  `apiVersion=apiextensions.k8s.io/v1,kind=CustomResourceDefinition,name=${name}`;

/**
 * The helm_release shared by the operator constructs, after the operator's CRDs: atomic, waits for
 * readiness (so webhooks exist before the next layer plans), values rendered once as YAML, the
 * chart's `crds/` folder skipped.
 *
 * @example
 * new OperatorRelease(this, 'release', { ...OPERATOR_PINS.keda, releaseName: 'keda', namespace: 'operators', values: { crds: { install: false } }, crds: operatorCrds('keda'), timeoutSeconds: 600 });
 */
export class OperatorRelease extends Construct {
  public readonly release: Release;
  public readonly crds: readonly Manifest[];

  constructor(scope: Construct, id: string, props: OperatorReleaseProps) {
    super(scope, id);
    this.crds = props.crds.map((crd) => {
      const manifest = kubeManifest(this, `crd-${crd.metadata.name}`, crd);
      if (props.adoptExistingCrds) manifest.importFrom(crdImportId(crd.metadata.name));
      return manifest;
    });
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
      skipCrds: true,
      values: [toValuesYaml(mergeValues(props.values, props.userValues))],
      dependsOn: [...(props.dependsOn ?? []), ...this.crds],
    });
  }
}
