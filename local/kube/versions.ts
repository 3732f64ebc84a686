/**
 * Pin of the local Kubernetes API server the IaC tests use. The operators whose CRDs it serves are
 * pinned with the stacks (stacks/lib/operator-pins.ts).
 */

/** kube-apiserver and kube-controller-manager, built from the k8s.io/kubernetes Go module. */
export const KUBERNETES_VERSION = 'v1.37.2';
