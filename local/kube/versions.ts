/**
 * Pins of the local Kubernetes API server used by the IaC tests, and of the operators whose CRDs
 * it serves. Versions are the Go module (or Maven) versions the registries serve.
 */

/** kube-apiserver and kube-controller-manager, built from the k8s.io/kubernetes Go module. */
export const KUBERNETES_VERSION = 'v1.37.2';

/** Operator CRDs installed into the API server, each read from a published artifact. */
export const OPERATORS = {
  /** Maven Central io.strimzi:api (the jar carries the generated CRD YAMLs). */
  strimzi: '1.2.0',
  /** Go module github.com/cloudnative-pg/cloudnative-pg, config/crd/bases. */
  cloudnativePg: 'v1.30.0',
  /** Go module github.com/kedacore/keda/v2, config/crd/bases. */
  keda: 'v2.20.2',
  /**
   * Go module github.com/prometheus-operator/prometheus-operator, example/prometheus-operator-crd:
   * the operator version (appVersion) of the kube-prometheus-stack chart the stacks deploy.
   */
  prometheusOperator: 'v0.93.1',
  /** Go module github.com/cert-manager/cert-manager, deploy/crds (plain CRD YAML, same as chart v1.21.2). */
  certManager: 'v1.21.2',
  /**
   * Go module github.com/cloudnative-pg/plugin-barman-cloud, config/crd/bases (the ObjectStore CRD):
   * the plugin version (appVersion) of the plugin-barman-cloud chart 0.7.0 the stacks deploy.
   */
  barmanCloudPlugin: 'v0.13.0',
} as const;
