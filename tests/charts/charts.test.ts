/**
 * Our two charts: `helm lint` and `helm template` under every ci/*.yaml value set, then every rendered
 * object through strict server-side apply (dry-run) against the real API server with the operators'
 * CRDs (KEDA ScaledObject, ServiceMonitor, ...), plus the proof that values.schema.json rejects a typo.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { ensureKubeApi, lockKubeApiForTests } from '../../local/kube/api.js';
import { KubeClient, type KubeObject } from '../../local/kube/client.js';
import { KUBERNETES_VERSION } from '../../local/kube/versions.js';
import { repoRoot } from '../../local/lib/paths.js';
import { run } from '../../local/lib/proc.js';
import { ensureGoTool } from '../../local/tools/go.js';
import { applyAll, deleteCreatedNamespaces, formatFailures } from '../iac/lib/kube-apply.js';

const CHARTS = ['ingest-bridge', 'sensor-worker'] as const;
const NAMESPACE = 'chart-tests';

let helm: string;
let client: KubeClient;
/** --api-versions for every group/version the server serves, so capability checks see the CRDs. */
let apiVersions: string[];

/** Held for the whole file: see lockKubeApiForTests. */
let release: (() => void) | undefined;

before(async () => {
  // Build helm before taking the API server, so other test files are not kept waiting.
  helm = await ensureGoTool('helm');
  release = await lockKubeApiForTests();
  client = new KubeClient(await ensureKubeApi());
  const groups = await client.json<{ groups: { versions: { groupVersion: string }[] }[] }>('GET', '/apis');
  apiVersions = ['v1', ...groups.groups.flatMap((g) => g.versions.map((v) => v.groupVersion))];
});

after(async () => {
  if (client) await deleteCreatedNamespaces(client);
  release?.();
});

function chartDir(chart: string): string {
  return join(repoRoot, 'charts', chart);
}

function valueSets(chart: string): string[] {
  const dir = join(chartDir(chart), 'ci');
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
    : [];
}

async function helmRun(args: readonly string[]): Promise<{ ok: boolean; output: string }> {
  try {
    return {
      ok: true,
      output: await run(helm, args, {
        env: { ...process.env, HELM_CACHE_HOME: join(repoRoot, '.stack', 'helm-cache') },
      }),
    };
  } catch (err) {
    return { ok: false, output: (err as Error).message };
  }
}

function template(chart: string, extra: readonly string[]): Promise<{ ok: boolean; output: string }> {
  return helmRun([
    'template',
    'test',
    chartDir(chart),
    '--namespace',
    NAMESPACE,
    '--kube-version',
    KUBERNETES_VERSION,
    ...apiVersions.flatMap((v) => ['--api-versions', v]),
    ...extra,
  ]);
}

for (const chart of CHARTS) {
  void test(`${chart}: has values.schema.json and ci value sets`, () => {
    assert.ok(existsSync(join(chartDir(chart), 'values.schema.json')), 'values.schema.json missing');
    assert.ok(valueSets(chart).length > 0, 'no ci/*.yaml value sets');
  });

  void test(`${chart}: helm lint passes with the defaults and every ci value set`, async () => {
    for (const values of [undefined, ...valueSets(chart)]) {
      const args = [
        'lint',
        chartDir(chart),
        '--strict',
        ...(values ? ['-f', join(chartDir(chart), 'ci', values)] : []),
      ];
      const { ok, output } = await helmRun(args);
      assert.ok(ok, `${values ?? 'defaults'}:\n${output}`);
    }
  });

  void test(`${chart}: every ci value set renders objects the API server accepts (strict, dry-run)`, async () => {
    for (const values of valueSets(chart)) {
      const { ok, output } = await template(chart, ['-f', join(chartDir(chart), 'ci', values)]);
      assert.ok(ok, `${values}: helm template failed:\n${output}`);
      const objects = parseAllDocuments(output)
        .map((d) => d.toJS() as KubeObject | null)
        .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
      assert.ok(objects.length > 0, `${values}: rendered nothing`);
      for (const o of objects) {
        // helm install sets the release namespace on namespaced objects that name none.
        if ((await client.resourceFor(o.apiVersion, o.kind))?.namespaced) o.metadata.namespace ??= NAMESPACE;
      }
      const failures = await applyAll(
        client,
        objects.map((object) => ({ origin: `${chart} ${values}`, object })),
      );
      assert.equal(
        failures.length,
        0,
        `${values}: ${failures.length} of ${objects.length} objects rejected:\n${formatFailures(failures)}`,
      );
    }
  });

  void test(`${chart}: values.schema.json rejects a misspelled value`, async () => {
    for (const [set, rejected] of [
      ['replicaCountt=2', /at '': additional properties 'replicaCountt' not allowed/],
      ['image.tagg=v1', /at '\/image': additional properties 'tagg' not allowed/],
    ] as const) {
      const { ok, output } = await template(chart, ['--set', set]);
      assert.equal(ok, false, `--set ${set} rendered without error`);
      assert.match(output, /values don't meet the specifications of the schema/);
      assert.match(output, rejected);
    }
  });
}

/** The Deployment's pod, as the ReplicaSet controller would create it, admitted under Pod Security `restricted`. */
async function admitPodsUnderRestricted(
  objects: readonly KubeObject[],
  namespace: string,
): Promise<string[]> {
  const problems: string[] = [];
  // Pods name their ServiceAccount, which admission looks up: create the chart's for real.
  for (const sa of objects.filter((o) => o.kind === 'ServiceAccount')) {
    await client.apply({ ...sa, metadata: { ...sa.metadata, namespace } });
  }
  for (const d of objects.filter((o) => o.kind === 'Deployment')) {
    const template = (d as unknown as { spec: { template: { metadata: object; spec: object } } }).spec
      .template;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { ...template.metadata, name: `${d.metadata.name}-pod`, namespace },
      spec: template.spec,
    } as unknown as KubeObject;
    try {
      await client.apply(pod, { dryRun: true });
    } catch (err) {
      problems.push(`${d.metadata.name}: ${(err as Error).message}`);
    }
  }
  return problems;
}

void test('pods of both charts pass Pod Security admission at `restricted` (every ci value set); a pod allowed to escalate does not', async () => {
  const namespace = 'chart-tests-restricted';
  const ns: KubeObject = {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/enforce-version': 'latest',
      },
    },
  };
  await client.apply(ns);
  try {
    let deployments = 0;
    for (const chart of CHARTS) {
      for (const values of valueSets(chart)) {
        const { ok, output } = await template(chart, ['-f', join(chartDir(chart), 'ci', values)]);
        assert.ok(ok, output);
        const objects = parseAllDocuments(output)
          .map((d) => d.toJS() as KubeObject | null)
          .filter((o): o is KubeObject => o !== null && typeof o === 'object' && 'kind' in o);
        deployments += objects.filter((o) => o.kind === 'Deployment').length;
        assert.deepEqual(await admitPodsUnderRestricted(objects, namespace), [], `${chart} ${values}`);
        // Control: the same pod allowed to escalate privileges is refused, so the namespace really enforces.
        const bad = structuredClone(objects.find((o) => o.kind === 'Deployment')!) as unknown as {
          spec: { template: { spec: { containers: { securityContext: Record<string, unknown> }[] } } };
        };
        bad.spec.template.spec.containers[0]!.securityContext.allowPrivilegeEscalation = true;
        const refused = await admitPodsUnderRestricted([bad as unknown as KubeObject], namespace);
        assert.equal(refused.length, 1, `${chart} ${values}: an escalating pod was admitted`);
        assert.match(refused[0]!, /violates PodSecurity "restricted/);
      }
    }
    assert.ok(deployments >= 4, `only ${deployments} Deployments rendered`);
  } finally {
    await client.delete(ns);
  }
});

interface RenderedContainer {
  name: string;
  env: {
    name: string;
    value?: string;
    valueFrom?: { resourceFieldRef?: { containerName: string; resource: string } };
  }[];
}

/** The Deployment's first container as rendered with the first ci value set and `extra`. */
async function renderedContainer(chart: string, extra: readonly string[]): Promise<RenderedContainer> {
  const { ok, output } = await template(chart, [
    '-f',
    join(chartDir(chart), 'ci', valueSets(chart)[0]!),
    ...extra,
  ]);
  assert.ok(ok, output);
  const deployment = parseAllDocuments(output)
    .map(
      (d) =>
        d.toJS() as { kind?: string; spec?: { template: { spec: { containers: RenderedContainer[] } } } },
    )
    .find((o) => o?.kind === 'Deployment');
  return deployment!.spec!.template.spec.containers[0]!;
}

for (const chart of CHARTS) {
  void test(`${chart}: the pod's memory limit reaches the process (MEMORY_LIMIT_BYTES) and sizes Node's heap to half of it`, async () => {
    for (const [limit, heapMiB] of [
      [undefined, 256],
      ['2Gi', 1024],
      ['768Mi', 384],
    ] as const) {
      const container = await renderedContainer(
        chart,
        limit
          ? ['--set', `resources.limits.memory=${limit}`, '--set', `resources.requests.memory=${limit}`]
          : [],
      );
      const env = new Map(container.env.map((e) => [e.name, e]));
      assert.deepEqual(env.get('MEMORY_LIMIT_BYTES')?.valueFrom?.resourceFieldRef, {
        containerName: container.name,
        resource: 'limits.memory',
      });
      assert.equal(
        env.get('NODE_OPTIONS')?.value,
        `--enable-source-maps --max-semi-space-size=32 --max-old-space-size=${heapMiB}`,
        `${limit ?? 'default'} limit`,
      );
    }
    for (const [limit, message] of [
      ['1.5Gi', /resources.limits.memory \(1.5Gi\) must be a whole number of Mi or Gi/],
      ['128Mi', /resources.limits.memory \(128Mi\) must be at least 256Mi/],
    ] as const) {
      const { ok, output } = await template(chart, [
        '-f',
        join(chartDir(chart), 'ci', valueSets(chart)[0]!),
        '--set',
        `resources.limits.memory=${limit}`,
      ]);
      assert.equal(ok, false, `${limit} rendered`);
      assert.match(output, message);
    }
  });
}

interface EgressRule {
  to?: {
    namespaceSelector?: unknown;
    podSelector?: { matchLabels?: Record<string, string> };
    ipBlock?: unknown;
  }[];
  ports?: { port: number | string; protocol: string }[];
}

for (const chart of CHARTS) {
  void test(`${chart}: every egress rule of the pod's NetworkPolicy names its peers, and DNS goes to the cluster DNS pods only`, async () => {
    let checked = 0;
    for (const values of valueSets(chart)) {
      const { ok, output } = await template(chart, ['-f', join(chartDir(chart), 'ci', values)]);
      assert.ok(ok, output);
      const policy = parseAllDocuments(output)
        .map((d) => d.toJS() as { kind?: string; spec?: { egress?: EgressRule[] } })
        .find((o) => o?.kind === 'NetworkPolicy');
      if (!policy) continue;
      const egress = policy.spec?.egress ?? [];
      // A rule without `to` allows its ports to every address, in and out of the cluster.
      for (const rule of egress)
        assert.ok(rule.to && rule.to.length > 0, `${values}: ${JSON.stringify(rule)}`);
      const dns = egress.filter((r) => r.ports?.some((p) => String(p.port) === '53'));
      assert.equal(dns.length, 1, `${values}: one DNS rule`);
      assert.deepEqual(dns[0]!.to, [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ]);
      checked++;
    }
    assert.ok(checked > 0, 'no ci value set renders the NetworkPolicy');
  });
}

for (const chart of CHARTS) {
  void test(`${chart}: no Secret reaches the container as an environment variable; passwords are mounted files`, async () => {
    const { ok, output } = await template(chart, [
      '-f',
      join(chartDir(chart), 'ci', valueSets(chart)[0]!),
      '--set',
      'kafka.sasl.username=sensor-user',
      '--set',
      'kafka.sasl.existingSecret=sensor-user',
    ]);
    assert.ok(ok, output);
    const deployment = parseAllDocuments(output)
      .map((d) => d.toJS() as KubeObject & { spec?: { template: { spec: Record<string, unknown> } } })
      .find((o) => o?.kind === 'Deployment')!;
    const pod = deployment.spec!.template.spec as {
      containers: { env: { name: string; value?: string; valueFrom?: Record<string, unknown> }[] }[];
      volumes: { name: string; secret?: { secretName: string; items?: { key: string; path: string }[] } }[];
    };
    const env = pod.containers[0]!.env;
    assert.deepEqual(
      env.filter((e) => e.valueFrom && 'secretKeyRef' in e.valueFrom).map((e) => e.name),
      [],
      'a Secret read into the environment is fixed until the pod restarts',
    );
    const value = (name: string) => env.find((e) => e.name === name)?.value;
    assert.equal(value('KAFKA_SASL_PASSWORD_FILE'), '/etc/sensor/kafka-sasl/password');
    const sasl = pod.volumes.find((v) => v.name === 'kafka-sasl');
    assert.deepEqual(sasl?.secret?.items, [{ key: 'password', path: 'password' }]);
    assert.equal(sasl?.secret?.secretName, 'sensor-user');
    if (chart === 'sensor-worker') {
      assert.equal(value('DATABASE_CREDENTIALS_DIR'), '/etc/sensor/database');
      assert.ok(pod.volumes.some((v) => v.name === 'database-credentials' && v.secret?.secretName));
      assert.equal(value('DATABASE_URL'), undefined, 'the URL carries the password');
    }
  });
}

void test("sensor-worker: the migrate init container alone mounts the owner's Secret; the worker's container has its own role's", async () => {
  const { ok, output } = await template('sensor-worker', [
    '-f',
    join(chartDir('sensor-worker'), 'ci', 'autoscaled-values.yaml'),
  ]);
  assert.ok(ok, output);
  const pod = parseAllDocuments(output)
    .map((d) => d.toJS() as { kind?: string; spec?: { template: { spec: Record<string, unknown> } } })
    .find((o) => o?.kind === 'Deployment')!.spec!.template.spec as {
    initContainers: {
      name: string;
      env: { name: string; value?: string }[];
      volumeMounts: { name: string }[];
    }[];
    containers: { volumeMounts: { name: string }[] }[];
    volumes: { name: string; secret?: { secretName: string } }[];
  };
  assert.equal(pod.initContainers.length, 1);
  const init = pod.initContainers[0]!;
  assert.equal(init.name, 'migrate');
  const env = new Map(init.env.map((e) => [e.name, e.value]));
  assert.equal(env.get('MIGRATION_RUNTIME_ROLE'), 'sensor_worker');
  assert.equal(env.get('DATABASE_CREDENTIALS_DIR'), '/etc/sensor/migrations');
  const secretOf = (volume: string) => pod.volumes.find((v) => v.name === volume)?.secret?.secretName;
  assert.ok(init.volumeMounts.some((m) => secretOf(m.name) === 'sensor-pg-sensor'));
  const mounted = pod.containers[0]!.volumeMounts.map((m) => secretOf(m.name));
  assert.ok(mounted.includes('sensor-pg-sensor-worker'));
  assert.ok(!mounted.includes('sensor-pg-sensor'), "the worker's container must not see the owner's Secret");
  const off = await template('sensor-worker', [
    '-f',
    join(chartDir('sensor-worker'), 'ci', 'autoscaled-values.yaml'),
    '--set',
    'migrations.existingSecret=',
  ]);
  assert.equal(off.ok, false);
  assert.match(off.output, /migrations\.existingSecret is required when migrations\.enabled is true/);
});

for (const chart of CHARTS) {
  void test(`${chart}: states the Kubernetes versions it needs (kubeVersion) and prints NOTES after install`, async () => {
    const values = join(chartDir(chart), 'ci', valueSets(chart)[0]!);
    const old = await helmRun([
      'template',
      'test',
      chartDir(chart),
      '-f',
      values,
      '--kube-version',
      '1.29.3',
    ]);
    assert.equal(old.ok, false, 'rendered for Kubernetes 1.29');
    assert.match(old.output, /chart requires kubeVersion/);
    const install = await helmRun(['install', 'test', chartDir(chart), '-f', values, '--dry-run=client']);
    assert.ok(install.ok, install.output);
    assert.match(install.output, /NOTES:\n.*is installed in namespace/);
  });
}
