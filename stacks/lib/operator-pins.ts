/**
 * The one place that pins every operator the operators layer installs: its Helm chart and the
 * operator version that chart ships. The stacks apply that version's CRDs themselves
 * (stacks/lib/operator-crds.ts), and the local API server the IaC tests use serves the same CRDs
 * (local/kube/crds.ts), so a bump is one entry here (docs/upgrades.md#operators).
 */

/** A pinned Helm chart. */
export interface ChartPin {
  readonly chart: string;
  readonly repository: string;
  readonly version: string;
}

export interface OperatorPin extends ChartPin {
  /** The operator version the chart ships (its Chart.yaml `appVersion`): the CRDs applied are this version's. */
  readonly appVersion: string;
}

/**
 * The Temporal Web UI image the cluster runs (temporalio/ui), the same release the local stack builds
 * from github.com/temporalio/ui-server/v2 (local/versions.ts reads it here). The Temporal chart's own
 * default is older.
 */
export const TEMPORAL_UI_VERSION = '2.58.1';

export const OPERATOR_PINS = {
  /** Strimzi 1.2.0: serves kafka.strimzi.io/v1, supports Kafka 4.3.1 (strimzi/strimzi-kafka-operator tag 1.2.0). */
  strimzi: {
    chart: 'strimzi-kafka-operator',
    repository: 'oci://quay.io/strimzi-helm',
    version: '1.2.0',
    appVersion: '1.2.0',
  },
  /** CloudNativePG 1.30.0 = chart 0.29.0 (cloudnative-pg/charts, charts/cloudnative-pg/Chart.yaml). */
  'cloudnative-pg': {
    chart: 'cloudnative-pg',
    repository: 'https://cloudnative-pg.github.io/charts',
    version: '0.29.0',
    appVersion: '1.30.0',
  },
  /** KEDA 2.20.2 (kedacore/charts, keda/Chart.yaml: version and appVersion 2.20.2). */
  keda: {
    chart: 'keda',
    repository: 'https://kedacore.github.io/charts',
    version: '2.20.2',
    appVersion: '2.20.2',
  },
  /** kube-prometheus-stack 88.5.3 ships prometheus-operator v0.93.1 (its Chart.yaml appVersion). */
  'prometheus-operator': {
    chart: 'kube-prometheus-stack',
    repository: 'https://prometheus-community.github.io/helm-charts',
    version: '88.5.3',
    appVersion: 'v0.93.1',
  },
  /** cert-manager v1.21.2 (cert-manager/cert-manager, deploy/charts/cert-manager). */
  'cert-manager': {
    chart: 'cert-manager',
    repository: 'https://charts.jetstack.io',
    version: 'v1.21.2',
    appVersion: 'v1.21.2',
  },
  /**
   * approver-policy v0.28.0 (cert-manager/approver-policy, deploy/charts/approver-policy): approves
   * or denies the platform CA's CertificateRequests by CertificateRequestPolicy (decision 0115).
   */
  'approver-policy': {
    chart: 'cert-manager-approver-policy',
    repository: 'https://charts.jetstack.io',
    version: 'v0.28.0',
    appVersion: 'v0.28.0',
  },
  /** Barman Cloud plugin v0.13.0 = chart plugin-barman-cloud 0.7.0 (cloudnative-pg/charts). */
  'plugin-barman-cloud': {
    chart: 'plugin-barman-cloud',
    repository: 'https://cloudnative-pg.github.io/charts',
    version: '0.7.0',
    appVersion: 'v0.13.0',
  },
} as const satisfies Record<string, OperatorPin>;

export type OperatorName = keyof typeof OPERATOR_PINS;

export const OPERATOR_NAMES = Object.keys(OPERATOR_PINS) as OperatorName[];
