import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import { TemporalServer, type TemporalServerProps } from '../../../stacks/constructs/temporal-server.js';
import type { PostgresConnection } from '../../../stacks/lib/connections.js';
import {
  TEMPORAL_AUTHORIZATION_POLICY_ENV,
  type TemporalAuthorizationPolicy,
} from '../../../stacks/lib/temporal-authorization.js';
import { TEMPORAL_NAMESPACE } from '../../../workers/shared/temporal.js';
import { VERSIONS } from '../../../local/versions.js';
import { manifests, only, resources, synth } from '../helpers.js';

const database: PostgresConnection = {
  clusterName: 'pg',
  namespace: 'postgres',
  poolerName: 'pg-pooler-rw',
  host: 'pg-pooler-rw.postgres.svc',
  port: 5432,
  credentials: {
    temporal: {
      username: 'temporal',
      database: 'temporal',
      secretName: 'pg-temporal',
      namespace: 'temporal',
    },
  },
  sslMode: 'verify-full',
};
const base: TemporalServerProps = {
  namespace: 'temporal',
  tlsIssuer: { kind: 'ClusterIssuer' as const, name: 'platform-ca' },
  database,
  databaseRole: 'temporal',
  temporalNamespace: TEMPORAL_NAMESPACE,
  serverImage: { repository: 'ghcr.io/sensor-pipeline/temporal-server', tag: '1.31.2-abc' },
  clientIdentities: { bridge: 'ingest-bridge', worker: 'sensor-worker' },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function valuesOf(props: TemporalServerProps): { release: Record<string, any>; values: any } {
  const release = only(
    resources(
      synth((s) => new TemporalServer(s, 't', props)),
      'helm_release',
    ),
    'helm_release',
  );
  return { release, values: parse((release.values as string[])[0]!) };
}

void test('the pinned chart 1.6.0 with CNPG datastores through PgBouncer and existing secrets', () => {
  const { release, values } = valuesOf({ ...base, numHistoryShards: 4096, maxConns: 25 });
  assert.equal(release.chart, 'temporal');
  assert.equal(release.version, '1.6.0');
  const p = values.server.config.persistence;
  assert.equal(p.numHistoryShards, 4096);
  for (const [store, db] of [
    ['default', 'temporal'],
    ['visibility', 'temporal_visibility'],
  ] as const) {
    const sql = p.datastores[store].sql;
    assert.equal(sql.pluginName, 'postgres12');
    assert.equal(sql.databaseName, db);
    assert.equal(sql.connectAddr, 'pg-pooler-rw.postgres.svc:5432');
    assert.equal(sql.existingSecret, 'pg-temporal');
    assert.equal(sql.maxConns, 25);
    assert.equal(sql.createDatabase, false);
  }
});

void test('schema job as a pre-upgrade Helm hook (done before the servers roll), the pipeline namespace with retention, per-service replicas, ServiceMonitors', () => {
  const { values } = valuesOf({
    ...base,
    retentionDays: 5,
    replicas: { frontend: 2, history: 6, matching: 3, worker: 1 },
  });
  assert.equal(values.schema.useHelmHooks, true);
  assert.deepEqual(values.server.config.namespaces, {
    create: true,
    useHelmHooks: false,
    namespace: [{ name: 'sensor-pipeline', retention: '5d' }],
  });
  assert.equal(values.server.history.replicaCount, 6);
  assert.equal(values.server.matching.replicaCount, 3);
  assert.equal(values.server.metrics.serviceMonitor.enabled, true);
  assert.equal(values.web.enabled, true);
  // The UI the local stack runs (local/versions.ts), so what its tests see is what operators get.
  assert.deepEqual(values.web.image, { repository: 'temporalio/ui', tag: VERSIONS.temporalUi });
  // Reached by port-forward only (docs/operations.md): no Ingress, no LoadBalancer or NodePort.
  assert.ok(!values.web.ingress?.enabled, 'the Web UI has no Ingress');
  assert.ok(
    [undefined, 'ClusterIP'].includes(values.web.service?.type),
    'the Web UI Service stays ClusterIP',
  );
});

void test('every service requests its resources (memory limited, CPU not), spreads over zones and drains one pod at a time', () => {
  const resources = {
    frontend: { cpu: '2', memory: '3Gi' },
    history: { cpu: '4', memory: '12Gi' },
    matching: { cpu: '2', memory: '3Gi' },
    worker: { cpu: '500m', memory: '1Gi' },
  };
  const { values } = valuesOf({ ...base, resources });
  for (const svc of ['frontend', 'history', 'matching', 'worker'] as const) {
    const v = values.server[svc];
    assert.deepEqual(
      v.resources,
      { requests: resources[svc], limits: { memory: resources[svc].memory } },
      `${svc}: memory limit = request, no CPU limit`,
    );
    assert.deepEqual(v.podDisruptionBudget, { maxUnavailable: 1 }, svc);
    const [spread] = v.topologySpreadConstraints;
    assert.equal(spread.topologyKey, 'topology.kubernetes.io/zone', svc);
    assert.deepEqual(
      spread.labelSelector.matchLabels,
      { 'app.kubernetes.io/instance': 'temporal', 'app.kubernetes.io/component': svc },
      `${svc}: the selector must match the chart's pod labels of this service only`,
    );
  }
  assert.ok(values.web.resources.limits.memory, 'the web UI has a memory limit');
});

void test('raw values merge last', () => {
  const { values } = valuesOf({ ...base, values: { server: { history: { replicaCount: 9 } } } });
  assert.equal(values.server.history.replicaCount, 9);
  assert.equal(values.server.matching.replicaCount, 2, 'sibling defaults survive the merge');
});

void test('connection: frontend address and namespace', () => {
  let t: TemporalServer | undefined;
  synth((s) => (t = new TemporalServer(s, 't', base)));
  assert.deepEqual(t!.connection, {
    address: 'temporal-frontend.temporal.svc:7233',
    namespace: 'sensor-pipeline',
    releaseNamespace: 'temporal',
    tls: { serverName: 'temporal-frontend.temporal.svc', requireClientCertificate: true },
  });
});

void test('mutual TLS on frontend and internode, SQL over verify-full TLS, restricted pods, no API token', () => {
  const json = synth((s) => new TemporalServer(s, 't', base));
  const release = only(resources(json, 'helm_release'), 'helm_release') as { values: string[] };
  const v = parse(release.values[0]!);
  const certs = manifests(json, 'Certificate');
  const byName = (n: string) =>
    only(
      certs.filter((c) => c.metadata.name === n),
      n,
    );
  assert.deepEqual(v.server.tls.frontend, {
    enabled: true,
    secretName: 'temporal-frontend-tls',
    requireClientAuth: true,
    serverName: 'temporal-frontend.temporal.svc',
  });
  assert.equal(v.server.tls.internode.requireClientAuth, true);
  assert.ok(byName('temporal-frontend-tls').spec.dnsNames.includes('temporal-frontend.temporal.svc'));
  assert.deepEqual(byName(v.server.tls.internode.secretName).spec.dnsNames, [
    v.server.tls.internode.serverName,
  ]);
  assert.deepEqual(v.server.config.persistence.datastores.default.sql.tls, {
    enabled: true,
    caFile: '/etc/temporal/tls/platform-ca/ca.crt',
    enableHostVerification: true,
    serverName: 'pg-pooler-rw.postgres.svc',
  });
  for (const [what, pod, container] of [
    ['server', v.server.securityContext, v.server.frontend.containerSecurityContext],
    ['web', v.web.securityContext, v.web.containerSecurityContext],
    ['schema', v.schema.securityContext, v.schema.containerSecurityContext],
  ]) {
    assert.equal(pod.runAsNonRoot, true, what);
    assert.equal(pod.seccompProfile.type, 'RuntimeDefault', what);
    assert.equal(container.readOnlyRootFilesystem, true, what);
    assert.deepEqual(container.capabilities.drop, ['ALL'], what);
  }
  assert.equal(v.admintools.enabled, false);
  const sa = only(resources(json, 'kubernetes_service_account_v1'), 'service account') as {
    automount_service_account_token: boolean;
    metadata: { name: string };
  };
  assert.equal(sa.automount_service_account_token, false);
  assert.deepEqual(v.serviceAccount, { create: false, name: sa.metadata.name });
});

void test('validation: unknown role, credentials in another namespace', () => {
  assert.throws(
    () => synth((s) => new TemporalServer(s, 't', { ...base, databaseRole: 'nope' })),
    /'databaseRole' \("nope"\) must be one of the database's roles \(temporal\)/,
  );
  assert.throws(
    () => synth((s) => new TemporalServer(s, 't', { ...base, namespace: 'other' })),
    /'database\.credentials\.temporal\.namespace' \("temporal"\) must equal 'namespace' \("other"\)/,
  );
});

void test('the Web UI is read-only unless switched on, and logs in through OIDC when configured', () => {
  const env = (props: Partial<TemporalServerProps>) =>
    new Map(
      (
        valuesOf({ ...base, ...props }).values.web.additionalEnv as {
          name: string;
          value?: string;
          valueFrom?: unknown;
        }[]
      ).map((e) => [e.name, e.value ?? e.valueFrom]),
    );
  const readOnly = env({});
  assert.equal(readOnly.get('TEMPORAL_DISABLE_WRITE_ACTIONS'), 'true');
  assert.equal(readOnly.has('TEMPORAL_AUTH_ENABLED'), false);
  assert.equal(env({ webWriteActions: true }).get('TEMPORAL_DISABLE_WRITE_ACTIONS'), 'false');
  const withLogin = env({
    webAuth: {
      issuerUrl: 'https://sso.example/realms/platform',
      clientId: 'temporal-web',
      clientSecret: { name: 'temporal-web-oidc', key: 'client-secret' },
      callbackUrl: 'https://temporal.example/auth/sso/callback',
    },
  });
  assert.equal(withLogin.get('TEMPORAL_AUTH_ENABLED'), 'true');
  assert.equal(withLogin.get('TEMPORAL_AUTH_PROVIDER_URL'), 'https://sso.example/realms/platform');
  assert.deepEqual(withLogin.get('TEMPORAL_AUTH_CLIENT_SECRET'), {
    secretKeyRef: { name: 'temporal-web-oidc', key: 'client-secret' },
  });
  assert.equal(withLogin.get('TEMPORAL_DISABLE_WRITE_ACTIONS'), 'true');
});

void test("the platform's server image enforces the authorization policy; the UI and operators have identities of their own", () => {
  for (const uiWrites of [false, true]) {
    const json = synth((s) => new TemporalServer(s, 't', { ...base, webWriteActions: uiWrites }));
    const release = only(resources(json, 'helm_release'), 'helm_release') as { values: string[] };
    const v = parse(release.values[0]!);
    assert.deepEqual(v.server.image, base.serverImage);
    const env = (v.server.additionalEnv as { name: string; value: string }[]).find(
      (e) => e.name === TEMPORAL_AUTHORIZATION_POLICY_ENV,
    );
    assert.ok(env, 'the server is told where its policy is');
    const mount = (v.server.additionalVolumeMounts as { name: string; mountPath: string }[]).find((m) =>
      env.value.startsWith(`${m.mountPath}/`),
    );
    assert.ok(mount, `the policy path ${env.value} is mounted`);
    const volume = (v.server.additionalVolumes as { name: string; configMap?: { name: string } }[]).find(
      (x) => x.name === mount.name,
    );
    const maps = resources(json, 'kubernetes_config_map_v1') as unknown as {
      metadata: { name: string };
      data: Record<string, string>;
    }[];
    const map = only(
      maps.filter((m) => m.metadata.name === volume?.configMap?.name),
      'policy ConfigMap',
    );
    const policy = JSON.parse(map.data['policy.json']!) as TemporalAuthorizationPolicy;
    const certs = manifests(json, 'Certificate');
    const cn = (secret: string) =>
      only(
        certs.filter((c) => c.spec.secretName === secret),
        secret,
      ).spec.commonName;
    // The UI presents its own certificate, which the policy lets read, and write only when switched on.
    const ui = policy.identities[cn(v.web.tls.secretName)]!;
    assert.ok(ui, 'the UI identity is in the policy');
    assert.deepEqual(ui.namespaces['*'], [uiWrites ? 'write' : 'read']);
    assert.notEqual(v.web.tls.secretName, v.server.tls.frontend.secretName, 'the UI is not the server');
    // The pipeline's identities get their own lists, and nothing cluster-wide.
    for (const id of ['ingest-bridge', 'sensor-worker']) {
      const grants = policy.identities[id]!;
      assert.deepEqual(grants.cluster, []);
      assert.ok(!grants.namespaces[TEMPORAL_NAMESPACE]!.includes('admin'));
    }
    assert.ok(
      !policy.identities['ingest-bridge']!.namespaces[TEMPORAL_NAMESPACE]!.includes('PollWorkflowTaskQueue'),
    );
    assert.ok(policy.identities[cn('temporal-admin-tls')], 'operators have an admin certificate');
  }
});
