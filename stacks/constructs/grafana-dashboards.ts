import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';
import type { MonitoringDiscovery } from './kube-prometheus-stack.js';

const DEFAULTS = { folder: 'Sensor pipeline' };

/** A Grafana dashboard JSON model, as far as this construct and its callers write one. */
export interface Target {
  readonly expr: string;
  readonly legendFormat: string;
}

export interface Panel {
  readonly id: number;
  readonly type: 'timeseries' | 'stat';
  readonly title: string;
  readonly gridPos: { readonly x: number; readonly y: number; readonly w: number; readonly h: number };
  readonly datasource: { readonly type: 'prometheus'; readonly uid: string };
  readonly fieldConfig: {
    readonly defaults: { readonly unit: string };
    readonly overrides: readonly unknown[];
  };
  readonly targets: readonly (Target & { readonly refId: string })[];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly schemaVersion: number;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly templating: { readonly list: readonly unknown[] };
  readonly panels: readonly Panel[];
}

export interface GrafanaDashboardsProps {
  /** Label and namespace that the Grafana sidecar watches (from KubePrometheusStack). */
  readonly discovery: MonitoringDiscovery;
  /** Dashboard JSON models keyed by file name. */
  readonly dashboards: Readonly<Record<string, Dashboard>>;
  /**
   * Grafana folder (sidecar `grafana_folder` annotation).
   * @default 'Sensor pipeline'
   * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/kube-prometheus-stack
   */
  readonly folder?: string;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Escapes Terraform interpolation: Grafana's `${datasource}` must reach the ConfigMap verbatim. */
export function escapeTerraform(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * One ConfigMap per dashboard, labelled for the Grafana sidecar.
 *
 * @example
 * new GrafanaDashboards(this, 'dashboards', { discovery: kps.discovery, dashboards: dashboards() });
 */
export class GrafanaDashboards extends Construct {
  public readonly configMaps: ConfigMapV1[];

  constructor(scope: Construct, id: string, props: GrafanaDashboardsProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    const uids = new Set<string>();
    this.configMaps = Object.entries(p.dashboards).map(([file, model]) => {
      if (!/^[a-z0-9][a-z0-9.-]*\.json$/.test(file)) {
        throw new Error(
          `'dashboards' key (${JSON.stringify(file)}) must be a lowercase file name ending in .json`,
        );
      }
      if (uids.has(model.uid))
        throw new Error(`'dashboards["${file}"].uid' (${JSON.stringify(model.uid)}) must be unique`);
      uids.add(model.uid);
      return new ConfigMapV1(this, file.replace(/\.json$/, ''), {
        metadata: {
          name: `dashboard-${file.replace(/\.json$/, '')}`,
          namespace: p.discovery.namespace,
          labels: { ...MANAGED_LABELS, [p.discovery.dashboardLabel.key]: p.discovery.dashboardLabel.value },
          annotations: { grafana_folder: p.folder },
        },
        data: { [file]: escapeTerraform(JSON.stringify(model)) },
        dependsOn: [...(p.dependsOn ?? [])],
      });
    });
  }
}
