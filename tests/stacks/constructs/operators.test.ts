/** The operator releases and namespaces (stacks/constructs/{strimzi,cnpg,keda}-operator.ts, kube-prometheus-stack.ts, platform-namespaces.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { BarmanCloudPlugin } from '../../../stacks/constructs/barman-cloud-plugin.js';
import { CnpgOperator } from '../../../stacks/constructs/cnpg-operator.js';
import { KedaOperator } from '../../../stacks/constructs/keda-operator.js';
import { KubePrometheusStack } from '../../../stacks/constructs/kube-prometheus-stack.js';
import { PlatformNamespaces } from '../../../stacks/constructs/platform-namespaces.js';
import { StrimziOperator } from '../../../stacks/constructs/strimzi-operator.js';
import { only, resources, synth, type Loose } from '../helpers.js';

type Release = {
  chart: string;
  repository: string;
  version: string;
  namespace: string;
  atomic: boolean;
  wait: boolean;
  values: string[];
} & Loose;

function release(build: Parameters<typeof synth>[0]): { r: Release; values: Loose } {
  const r = only(resources(synth(build), 'helm_release'), 'helm_release') as Release;
  return { r, values: parse(r.values[0]!) };
}

void test('pinned chart versions', () => {
  const pins = [
    [
      release((s) => new StrimziOperator(s, 'o', { watchNamespaces: ['kafka'] })).r,
      'strimzi-kafka-operator',
      'oci://quay.io/strimzi-helm',
      '1.2.0',
    ],
    [
      release((s) => new CnpgOperator(s, 'o')).r,
      'cloudnative-pg',
      'https://cloudnative-pg.github.io/charts',
      '0.29.0',
    ],
    [release((s) => new KedaOperator(s, 'o')).r, 'keda', 'https://kedacore.github.io/charts', '2.20.2'],
    [
      release((s) => new BarmanCloudPlugin(s, 'o')).r,
      'plugin-barman-cloud',
      'https://cloudnative-pg.github.io/charts',
      '0.7.0',
    ],
    [
      release((s) => new KubePrometheusStack(s, 'o', { nodeExporterNamespace: 'monitoring-node-exporter' }))
        .r,
      'kube-prometheus-stack',
      'https://prometheus-community.github.io/helm-charts',
      '88.5.3',
    ],
  ] as const;
  for (const [r, chart, repository, version] of pins) {
    assert.deepEqual([r.chart, r.repository, r.version], [chart, repository, version]);
    assert.equal(r.atomic, true);
    assert.equal(r.wait, true);
  }
});

void test('the Barman Cloud plugin runs in the operator namespace', () => {
  const { r } = release((s) => new BarmanCloudPlugin(s, 'o'));
  assert.equal(r.namespace, 'operators');
});

void test('Strimzi watches the given namespaces with restricted pod security', () => {
  const { values } = release((s) => new StrimziOperator(s, 'o', { watchNamespaces: ['kafka', 'apps'] }));
  assert.deepEqual(values.watchNamespaces, ['kafka', 'apps']);
  assert.equal(values.watchAnyNamespace, false);
  assert.deepEqual(values.extraEnvs, [{ name: 'STRIMZI_POD_SECURITY_PROVIDER_CLASS', value: 'restricted' }]);
  assert.throws(
    () => synth((s) => new StrimziOperator(s, 'o', { watchNamespaces: [] })),
    /'watchNamespaces' \(\[\]\) must name at least one namespace/,
  );
});

void test('user values merge last', () => {
  const { values } = release(
    (s) =>
      new StrimziOperator(s, 'o', {
        watchNamespaces: ['kafka'],
        values: { replicas: 2, watchAnyNamespace: true },
      }),
  );
  assert.equal(values.replicas, 2);
  assert.equal(values.watchAnyNamespace, true);
});

void test('KEDA and CNPG enable their monitors', () => {
  const keda = release((s) => new KedaOperator(s, 'o')).values;
  assert.equal(keda.prometheus.operator.serviceMonitor.enabled, true);
  assert.equal(keda.prometheus.metricServer.serviceMonitor.enabled, true);
  assert.equal(release((s) => new CnpgOperator(s, 'o')).values.monitoring.podMonitorEnabled, true);
});

void test('kube-prometheus-stack selects every monitor and rule, and loads labelled dashboards', () => {
  let kps: KubePrometheusStack | undefined;
  const { values } = release(
    (s) => (kps = new KubePrometheusStack(s, 'o', { retention: '7d', nodeExporterNamespace: 'mon-host' })),
  );
  const spec = values.prometheus.prometheusSpec;
  for (const k of [
    'serviceMonitorSelectorNilUsesHelmValues',
    'podMonitorSelectorNilUsesHelmValues',
    'ruleSelectorNilUsesHelmValues',
  ]) {
    assert.equal(spec[k], false, k);
  }
  assert.equal(spec.retention, '7d');
  assert.equal(values.grafana.sidecar.dashboards.label, kps!.discovery.dashboardLabel.key);
  // The dashboards are in Grafana's namespace: no cluster-wide search, no ClusterRole reading Secrets.
  assert.equal(values.grafana.sidecar.dashboards.searchNamespace, undefined);
  assert.equal(values.grafana.rbac.namespaced, true);
  // node-exporter alone leaves the restricted monitoring namespace.
  assert.equal(values['prometheus-node-exporter'].namespaceOverride, 'mon-host');
  assert.equal(values.grafana.containerSecurityContext.readOnlyRootFilesystem, true);
  assert.equal(values.grafana.securityContext.runAsNonRoot, true);
  assert.throws(
    () =>
      synth(
        (s) => new KubePrometheusStack(s, 'o', { retention: '2 weeks', nodeExporterNamespace: 'mon-host' }),
      ),
    /'retention' \("2 weeks"\) must be a Prometheus duration/,
  );
});

void test("Grafana's admin credentials come from a Secret generated at apply, never the chart's default", () => {
  const json = synth(
    (s) =>
      new KubePrometheusStack(s, 'o', {
        namespace: 'mon',
        nodeExporterNamespace: 'mon-host',
        generatePassword: () => 'generated',
      }),
  );
  const r = only(resources(json, 'helm_release'), 'helm_release') as Release;
  const grafana = parse(r.values[0]!).grafana as Loose;
  const secret = only(resources(json, 'kubernetes_secret_v1'), 'kubernetes_secret_v1') as Loose;
  assert.equal(secret.metadata.namespace, 'mon');
  assert.deepEqual(grafana.admin, {
    existingSecret: secret.metadata.name,
    userKey: 'admin-user',
    passwordKey: 'admin-password',
  });
  // Write-only: sent at creation, neither rotated by a later plan nor kept in state (decision 0112).
  assert.deepEqual(secret.data_wo, { 'admin-user': 'admin', 'admin-password': 'generated' });
  assert.equal(secret.data_wo_revision, 1);
  assert.equal(secret.data, undefined, 'the password must not be a stored attribute');
  assert.ok(
    (r.depends_on as string[]).some((d) => d.startsWith('kubernetes_secret_v1.')),
    'the release waits for the Secret',
  );
  assert.equal(grafana.adminPassword, undefined);
});

void test('namespaces: restricted enforced on every platform namespace, node-exporter alone privileged', () => {
  const json = synth(
    (s) =>
      new PlatformNamespaces(s, 'ns', {
        namespaces: {
          operators: 'operators',
          monitoring: 'monitoring',
          kafka: 'kafka',
          postgres: 'postgres',
          temporal: 'temporal',
          pipeline: 'apps',
        },
      }),
  );
  const ns = resources(json, 'kubernetes_namespace_v1') as {
    metadata: { name: string; labels: Record<string, string> };
  }[];
  const level = (n: string) =>
    ns.find((x) => x.metadata.name === n)?.metadata.labels['pod-security.kubernetes.io/enforce'];
  assert.equal(ns.length, 7);
  for (const n of ['operators', 'monitoring', 'kafka', 'postgres', 'temporal', 'apps']) {
    assert.equal(level(n), 'restricted', n);
    const labels = ns.find((x) => x.metadata.name === n)!.metadata.labels;
    assert.equal(labels['pod-security.kubernetes.io/audit'], 'restricted', n);
  }
  assert.equal(level('monitoring-node-exporter'), 'privileged');
  assert.throws(
    () =>
      synth(
        (s) =>
          new PlatformNamespaces(s, 'ns', {
            namespaces: {
              operators: 'operators',
              monitoring: 'monitoring',
              kafka: 'kafka',
              postgres: 'postgres',
              temporal: 'temporal',
              pipeline: 'apps',
            },
            hostAgentsNamespace: 'kafka',
          }),
      ),
    /'hostAgentsNamespace' \("kafka"\) must differ from every platform namespace/,
  );
});
