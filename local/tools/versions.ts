/**
 * Pinned Go tools the IaC and chart checks run. Each is built from its Go module with
 * `go install <package>@<version>` (modules without replace directives only), so the pin is the
 * module version the Go module proxy serves. Bump here; the cache key follows.
 */

import { OPERATOR_PINS } from '../../stacks/lib/operator-pins.js';

export interface GoToolPin {
  /** The module whose version is pinned. */
  readonly module: string;
  /** Module version as the Go module proxy serves it (a release tag or a pseudo-version). */
  readonly version: string;
  /** The main package to install. */
  readonly pkg: string;
  /** Name of the binary `go install` produces. */
  readonly binary: string;
  /** Extra linker flags (version stamping the upstream build does through its Makefile). */
  readonly ldflags?: string;
  /** Build tags. */
  readonly tags?: string;
  /**
   * Folders (relative to the module root) that the module embeds but does not ship, such as a web
   * UI built by npm in the upstream release: the tool is then built from a writable copy of the
   * module with a placeholder page in each (the API it serves is what the runs use).
   */
  readonly placeholderEmbeds?: readonly string[];
}

export const GO_TOOLS = {
  helm: {
    module: 'helm.sh/helm/v4',
    version: 'v4.3.1',
    pkg: 'helm.sh/helm/v4/cmd/helm',
    binary: 'helm',
    ldflags: '-X helm.sh/helm/v4/internal/version.version=v4.3.1',
  },
  kubeconform: {
    module: 'github.com/yannh/kubeconform',
    version: 'v0.8.0',
    pkg: 'github.com/yannh/kubeconform/cmd/kubeconform',
    binary: 'kubeconform',
  },
  /** Writes each chart's README.md from its values' `# --` comments (`npm run charts:docs`). */
  'helm-docs': {
    module: 'github.com/norwoodj/helm-docs',
    version: 'v1.14.2',
    pkg: 'github.com/norwoodj/helm-docs/cmd/helm-docs',
    binary: 'helm-docs',
    ldflags: '-X main.version=1.14.2',
  },
  actionlint: {
    module: 'github.com/rhysd/actionlint',
    version: 'v1.7.12',
    pkg: 'github.com/rhysd/actionlint/cmd/actionlint',
    binary: 'actionlint',
    ldflags: '-X github.com/rhysd/actionlint.version=v1.7.12',
  },
  promtool: {
    module: 'github.com/prometheus/prometheus',
    version: 'v0.316.0',
    pkg: 'github.com/prometheus/prometheus/cmd/promtool',
    binary: 'promtool',
    // Rule checks need no service discovery; without the cloud SDKs the build takes a fraction of the time.
    tags: 'remove_all_sd',
  },
  /**
   * The server, from the same module as promtool: it scrapes the local pipeline run and evaluates the
   * project's rules (local/prometheus.ts). Static targets only, so no service discovery either; the
   * web UI's assets are not in the module (the API and the rules are what the runs read).
   */
  prometheus: {
    module: 'github.com/prometheus/prometheus',
    version: 'v0.316.0',
    pkg: 'github.com/prometheus/prometheus/cmd/prometheus',
    binary: 'prometheus',
    tags: 'remove_all_sd',
  },
  /**
   * Alertmanager beside the local runs' Prometheus (local/alertmanager.ts), routing with each
   * environment's tree (stacks/observability/alert-routing.ts); amtool checks those trees.
   */
  alertmanager: {
    module: 'github.com/prometheus/alertmanager',
    version: 'v0.35.0',
    pkg: 'github.com/prometheus/alertmanager/cmd/alertmanager',
    binary: 'alertmanager',
    placeholderEmbeds: ['ui/app/dist/elm', 'ui/app/dist/mantine'],
  },
  amtool: {
    module: 'github.com/prometheus/alertmanager',
    version: 'v0.35.0',
    pkg: 'github.com/prometheus/alertmanager/cmd/amtool',
    binary: 'amtool',
  },
  /**
   * cert-manager's approver-policy at the operators layer's pin (stacks/lib/operator-pins.ts): the
   * certificate-approval test runs it against the local API server (local/cert-manager). Its main
   * package is the module's cmd folder, so `go install` names the binary `cmd`.
   */
  'approver-policy': {
    module: 'github.com/cert-manager/approver-policy',
    version: OPERATOR_PINS['approver-policy'].appVersion,
    pkg: 'github.com/cert-manager/approver-policy/cmd',
    binary: 'cmd',
  },
  /**
   * The provider's release tags (v3.x) are not valid Go module versions (its module path has no
   * /v3), so the proxy serves the default branch only as a pseudo-version: this one is the main
   * branch commit of 2026-08-21, after release 3.2.1 (its CHANGELOG's newest entry).
   */
  'terraform-provider-kubernetes': {
    module: 'github.com/hashicorp/terraform-provider-kubernetes',
    version: 'v1.13.4-0.20260821094251-3a33fb6cc605',
    pkg: 'github.com/hashicorp/terraform-provider-kubernetes',
    binary: 'terraform-provider-kubernetes',
  },
} as const satisfies Record<string, GoToolPin>;

export type GoToolName = keyof typeof GO_TOOLS;

/**
 * The version the locally built kubernetes provider is published under in the terraform filesystem
 * mirror: the release its commit follows. Terraform needs a semantic version there.
 */
export const KUBERNETES_PROVIDER_MIRROR_VERSION = '3.2.1';

/** A Python tool installed from PyPI into its own virtual environment in the cache. */
export interface PythonToolPin {
  /** Distribution name on PyPI. */
  readonly pkg: string;
  /** Exact version (`pip install <pkg>==<version>`). */
  readonly version: string;
  /** Console script the distribution installs. */
  readonly binary: string;
}

export const PYTHON_TOOLS = {
  /**
   * Policy scanner of the rendered Kubernetes manifests (tests/iac/policy-scan.test.ts). Chosen
   * because it installs from PyPI here; kube-linter and Polaris are not served by the Go module proxy.
   */
  checkov: { pkg: 'checkov', version: '3.3.30', binary: 'checkov' },
} as const satisfies Record<string, PythonToolPin>;

export type PythonToolName = keyof typeof PYTHON_TOOLS;
