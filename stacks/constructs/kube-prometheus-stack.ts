import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1/index.js';
import { Fn, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';
import { operatorCrds } from '../lib/operator-crds.js';
import { OPERATOR_PINS, type OperatorPin } from '../lib/operator-pins.js';
import { OperatorRelease } from './operator-release.js';

/**
 * kube-prometheus-stack 88.5.3 (prometheus-operator v0.93.1), the newest in
 * prometheus-community/helm-charts charts/kube-prometheus-stack/Chart.yaml when pinned.
 */
const DEFAULTS = {
  pin: OPERATOR_PINS['prometheus-operator'] as OperatorPin,
  namespace: 'monitoring',
  releaseName: 'kps',
  timeoutSeconds: 900,
  retention: '15d',
} as const;

/** How the stack discovers dashboards: a ConfigMap with this label is loaded by the Grafana sidecar. */
export interface MonitoringDiscovery {
  readonly dashboardLabel: { readonly key: string; readonly value: string };
  readonly namespace: string;
  /** Alertmanager's API inside the cluster, where the workers post device-alert escalations. */
  readonly alertmanagerUrl: string;
}

/** Alertmanager's port (the chart's Service `http-web`). */
export const ALERTMANAGER_PORT = 9093;

/**
 * The chart's resource name prefix (its `kube-prometheus-stack.fullname` helper): the release name,
 * followed by the chart's unless it contains it, cut to 26 characters.
 */
export function kubePrometheusStackFullname(releaseName: string): string {
  const chart = 'kube-prometheus-stack';
  const full = releaseName.includes(chart) ? releaseName : `${releaseName}-${chart}`;
  return full.slice(0, 26).replace(/-+$/, '');
}

const RESTRICTED_POD = {
  runAsNonRoot: true,
  runAsUser: 472,
  runAsGroup: 472,
  fsGroup: 472,
  seccompProfile: { type: 'RuntimeDefault' },
};
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
  seccompProfile: { type: 'RuntimeDefault' },
};

export interface KubePrometheusStackProps {
  /** @default 'monitoring' */
  readonly namespace?: string;
  /**
   * Namespace of node-exporter, which reads the host and cannot run under Pod Security `restricted`;
   * it is kept apart so the monitoring namespace can enforce `restricted`
   * (docs/decisions/0105-pod-security-levels.md).
   * @see https://github.com/prometheus-community/helm-charts/tree/main/charts/prometheus-node-exporter
   */
  readonly nodeExporterNamespace: string;
  /** Chart and operator version. @default OPERATOR_PINS['prometheus-operator'] */
  readonly pin?: OperatorPin;
  /** Import the CRDs an earlier chart installed instead of creating them (OperatorRelease). @default false */
  readonly adoptExistingCrds?: boolean;
  /**
   * Prometheus TSDB retention (a Prometheus duration).
   * @default '15d'
   * @see https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.PrometheusSpec
   */
  readonly retention?: string;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /**
   * Alertmanager's configuration (stacks/observability/alert-routing.ts) and the Secrets it reads
   * receivers' URLs and keys from (mounted at /etc/alertmanager/secrets/<name>).
   */
  readonly alertmanager?: { readonly config: Record<string, unknown>; readonly secrets: readonly string[] };
  /**
   * Grafana's admin password, generated once at apply and written as write-only Secret data. A
   * function for tests. @default Terraform's `uuid()`: the value exists only in the Secret
   */
  readonly generatePassword?: () => string;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** The Secret Grafana's admin credentials come from (keys admin-user, admin-password). */
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';

/**
 * Prometheus Operator, Prometheus, Alertmanager and Grafana, configured to select every
 * ServiceMonitor, PodMonitor and PrometheusRule in every namespace (not only those labelled with the
 * release), and to load dashboards from labelled ConfigMaps of its own namespace; Grafana's admin password is
 * generated into a Secret.
 *
 * @example
 * const kps = new KubePrometheusStack(this, 'kps', { retention: '7d', nodeExporterNamespace: 'monitoring-node-exporter' });
 * new GrafanaDashboards(this, 'dashboards', { discovery: kps.discovery, ... });
 */
export class KubePrometheusStack extends Construct {
  public readonly release: OperatorRelease['release'];
  public readonly discovery: MonitoringDiscovery;

  constructor(scope: Construct, id: string, props: KubePrometheusStackProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (!/^[0-9]+(ms|s|m|h|d|w|y)$/.test(p.retention)) {
      throw new Error(
        `'retention' (${JSON.stringify(p.retention)}) must be a Prometheus duration such as 15d`,
      );
    }
    const alertmanagerService = `${kubePrometheusStackFullname(p.releaseName)}-alertmanager`;
    this.discovery = {
      dashboardLabel: { key: 'grafana_dashboard', value: '1' },
      namespace: p.namespace,
      alertmanagerUrl: `http://${alertmanagerService}.${p.namespace}.svc:${ALERTMANAGER_PORT}`,
    };
    const selectAll = {
      serviceMonitorSelectorNilUsesHelmValues: false,
      podMonitorSelectorNilUsesHelmValues: false,
      ruleSelectorNilUsesHelmValues: false,
      probeSelectorNilUsesHelmValues: false,
      serviceMonitorNamespaceSelector: {},
      podMonitorNamespaceSelector: {},
      ruleNamespaceSelector: {},
    };
    // Grafana's admin credentials: generated once, never the chart's default password. Read them
    // with `kubectl -n <monitoring> get secret grafana-admin` (docs/operations.md).
    const grafanaAdmin = new SecretV1(this, 'grafana-admin', {
      metadata: { name: GRAFANA_ADMIN_SECRET, namespace: p.namespace, labels: { ...MANAGED_LABELS } },
      type: 'Opaque',
      // Write-only: sent once at creation, kept in neither plan nor state (decision 0112).
      dataWo: { 'admin-user': 'admin', 'admin-password': (p.generatePassword ?? (() => Fn.uuid()))() },
      dataWoRevision: 1,
      dependsOn: [...(p.dependsOn ?? [])],
    });
    this.release = new OperatorRelease(this, 'chart', {
      ...p,
      dependsOn: [...(p.dependsOn ?? []), grafanaAdmin],
      ...p.pin,
      crds: operatorCrds('prometheus-operator', p.pin.appVersion),
      values: {
        crds: { enabled: false },
        prometheus: { prometheusSpec: { ...selectAll, retention: p.retention } },
        ...(p.alertmanager
          ? {
              alertmanager: {
                config: p.alertmanager.config,
                alertmanagerSpec: { secrets: [...p.alertmanager.secrets] },
              },
            }
          : {}),
        'prometheus-node-exporter': { namespaceOverride: p.nodeExporterNamespace },
        grafana: {
          // Restricted-compliant; Grafana writes only to its data volume and /tmp.
          securityContext: RESTRICTED_POD,
          containerSecurityContext: RESTRICTED_CONTAINER,
          admin: {
            existingSecret: GRAFANA_ADMIN_SECRET,
            userKey: 'admin-user',
            passwordKey: 'admin-password',
          },
          // The dashboards' ConfigMaps live in this namespace (GrafanaDashboards): the sidecar reads
          // it alone, with a Role, not a ClusterRole that could read every Secret (the CA key's too).
          rbac: { namespaced: true },
          sidecar: {
            dashboards: {
              enabled: true,
              label: this.discovery.dashboardLabel.key,
              labelValue: this.discovery.dashboardLabel.value,
            },
          },
        },
      },
      userValues: p.values,
    }).release;
  }
}
