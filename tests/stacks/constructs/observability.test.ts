/** stacks/constructs/grafana-dashboards.ts, prometheus-rules.ts, pod-monitor.ts. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escapeTerraform, GrafanaDashboards } from '../../../stacks/constructs/grafana-dashboards.js';
import { PodMonitor } from '../../../stacks/constructs/pod-monitor.js';
import { PrometheusRules } from '../../../stacks/constructs/prometheus-rules.js';
import type { Dashboard } from '../../../stacks/constructs/grafana-dashboards.js';
import { dashboards } from '../../../stacks/observability/dashboards.js';
import { ruleGroups } from '../../../stacks/observability/rules.js';
import { manifests, only, resources, synth } from '../helpers.js';

const discovery = {
  dashboardLabel: { key: 'grafana_dashboard', value: '1' },
  namespace: 'monitoring',
  alertmanagerUrl: 'http://kps-kube-prometheus-stack-alertmanager.monitoring.svc:9093',
};

void test('one labelled ConfigMap per dashboard, JSON intact', () => {
  const json = synth((s) => new GrafanaDashboards(s, 'd', { discovery, dashboards: dashboards() }));
  const cms = resources(json, 'kubernetes_config_map_v1') as {
    metadata: { labels: Record<string, string>; namespace: string };
    data: Record<string, string>;
  }[];
  assert.equal(cms.length, Object.keys(dashboards()).length);
  for (const cm of cms) {
    assert.equal(cm.metadata.labels.grafana_dashboard, '1');
    assert.equal(cm.metadata.namespace, 'monitoring');
    const [file, body] = Object.entries(cm.data)[0]!;
    assert.equal((JSON.parse(body) as Dashboard).uid, dashboards()[file]!.uid);
  }
});

void test('Terraform interpolation in dashboard text is escaped', () => {
  assert.equal(escapeTerraform('a ${x} %{y}'), 'a $${x} %%{y}');
});

void test('dashboards: bad file name and duplicate uid are refused', () => {
  const d = dashboards()['sensor-kafka.json']!;
  assert.throws(
    () => synth((s) => new GrafanaDashboards(s, 'd', { discovery, dashboards: { 'Bad Name.json': d } })),
    /'dashboards' key \("Bad Name\.json"\) must be a lowercase file name/,
  );
  assert.throws(
    () =>
      synth((s) => new GrafanaDashboards(s, 'd', { discovery, dashboards: { 'a.json': d, 'b.json': d } })),
    /'dashboards\["b\.json"\]\.uid' \("sensor-kafka"\) must be unique/,
  );
});

void test('PrometheusRule holds every group', () => {
  const json = synth(
    (s) => new PrometheusRules(s, 'r', { name: 'sensor', namespace: 'monitoring', groups: ruleGroups() }),
  );
  const rule = only(manifests(json, 'PrometheusRule'), 'PrometheusRule');
  assert.equal(rule.apiVersion, 'monitoring.coreos.com/v1');
  assert.deepEqual(
    rule.spec.groups.map((g: { name: string }) => g.name),
    ruleGroups().map((g) => g.name),
  );
  const g = ruleGroups()[0]!;
  assert.throws(
    () => synth((s) => new PrometheusRules(s, 'r', { name: 'x', namespace: 'm', groups: [g, g] })),
    /'groups\[1\]\.name' \("sensor-pipeline\.ingest"\) must be unique/,
  );
  assert.throws(
    () =>
      synth(
        (s) => new PrometheusRules(s, 'r', { name: 'x', namespace: 'm', groups: [{ name: 'e', rules: [] }] }),
      ),
    /'groups\[0\]\.rules' \(\[\]\) must contain at least one rule/,
  );
});

void test('PodMonitor selects pods by label in its own namespace', () => {
  const json = synth(
    (s) =>
      new PodMonitor(s, 'p', {
        name: 'pg',
        namespace: 'postgres',
        port: 'metrics',
        matchLabels: { 'cnpg.io/cluster': 'pg', 'cnpg.io/podRole': 'instance' },
      }),
  );
  const pm = only(manifests(json, 'PodMonitor'), 'PodMonitor');
  assert.deepEqual(pm.spec.selector, {
    matchLabels: { 'cnpg.io/cluster': 'pg', 'cnpg.io/podRole': 'instance' },
  });
  assert.deepEqual(pm.spec.namespaceSelector, { matchNames: ['postgres'] });
  assert.deepEqual(pm.spec.podMetricsEndpoints, [{ port: 'metrics', path: '/metrics', interval: '30s' }]);
  assert.throws(
    () => synth((s) => new PodMonitor(s, 'p', { name: 'x', namespace: 'n', port: 'm' })),
    /'matchLabels' and 'matchExpressions' of PodMonitor 'x' \(both undefined\): one is required/,
  );
});
