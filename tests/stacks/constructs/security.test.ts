/**
 * stacks/constructs/namespace-isolation.ts, platform-ca.ts, tls-certificate.ts, certificate-policy.ts,
 * cert-manager-operator.ts, approver-policy-operator.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApproverPolicyOperator } from '../../../stacks/constructs/approver-policy-operator.js';
import { CertManagerOperator } from '../../../stacks/constructs/cert-manager-operator.js';
import { NamespaceIsolation } from '../../../stacks/constructs/namespace-isolation.js';
import { PlatformCa } from '../../../stacks/constructs/platform-ca.js';
import { TlsCertificate } from '../../../stacks/constructs/tls-certificate.js';
import { manifests, only, resources, synth, type Loose } from '../helpers.js';

const namespaces = {
  operators: 'operators',
  monitoring: 'monitoring',
  kafka: 'kafka',
  postgres: 'postgres',
  temporal: 'temporal',
  pipeline: 'apps',
};

interface Policy {
  metadata: { name: string; namespace: string };
  spec: Loose;
}

function policies(backup = false, apiServerCidrs?: readonly string[]): Policy[] {
  const json = synth(
    (s) => new NamespaceIsolation(s, 'iso', { namespaces, postgresBackupEgress: backup, apiServerCidrs }),
  );
  return resources(json, 'kubernetes_network_policy_v1') as unknown as Policy[];
}

const peersOf = (rules: Loose[] | undefined, side: 'from' | 'to') =>
  (rules ?? []).flatMap((r: Loose) =>
    (r[side] as Loose[]).map(
      (p) => p.namespace_selector?.match_labels?.['kubernetes.io/metadata.name'] ?? p.ip_block?.cidr,
    ),
  );

void test('every namespace denies all traffic by default and allows DNS', () => {
  const all = policies();
  for (const ns of Object.values(namespaces)) {
    const deny = all.find((p) => p.metadata.namespace === ns && p.metadata.name === 'default-deny');
    assert.ok(deny, `${ns}: no default-deny`);
    assert.deepEqual(deny.spec.policy_types, ['Ingress', 'Egress']);
    assert.deepEqual(deny.spec.pod_selector, {});
    assert.equal(deny.spec.ingress, undefined);
    assert.equal(deny.spec.egress, undefined);
    const dns = all.find((p) => p.metadata.namespace === ns && p.metadata.name === 'allow-dns');
    assert.deepEqual(
      dns?.spec.egress[0].ports.map((p: Loose) => `${p.protocol}/${p.port}`),
      ['UDP/53', 'TCP/53'],
    );
  }
});

void test('the pipeline reaches only Kafka (TLS port), Temporal and Postgres; only the pipeline and Temporal reach Postgres', () => {
  const all = policies();
  const get = (ns: string, name: string) =>
    only(
      all.filter((p) => p.metadata.namespace === ns && p.metadata.name === name),
      `${ns}/${name}`,
    );
  const egress = get('apps', 'allow-to-data-plane').spec.egress as Loose[];
  assert.deepEqual(
    egress.map((r) => [peersOf([r], 'to')[0], r.ports[0].port]),
    [
      ['kafka', '9093'],
      ['temporal', '7233'],
      ['postgres', '5432'],
    ],
  );
  const pgClients = get('postgres', 'allow-clients').spec.ingress as Loose[];
  assert.deepEqual(peersOf(pgClients, 'from'), ['temporal', 'apps']);
  // No namespace other than operators, monitoring, kafka and postgres talks to the API server.
  const apiUsers = all.filter((p) => p.metadata.name === 'allow-api-server').map((p) => p.metadata.namespace);
  assert.deepEqual(apiUsers.sort(), ['kafka', 'operators', 'postgres']);
  assert.ok(!all.some((p) => p.metadata.namespace === 'apps' && /api/.test(p.metadata.name)));
  // Backups leave the cluster only when configured.
  assert.ok(!all.some((p) => p.metadata.name === 'allow-backup-upload'));
  assert.deepEqual(
    policies(true)
      .filter((p) => p.metadata.name === 'allow-backup-upload')
      .map((p) => [p.metadata.namespace, p.spec.egress[0].ports[0].port]),
    [['postgres', '443']],
  );
});

void test('escalations: the pipeline reaches Alertmanager on its port only, and Alertmanager reaches receivers over HTTPS', () => {
  const all = policies();
  const get = (ns: string, name: string) =>
    only(
      all.filter((p) => p.metadata.namespace === ns && p.metadata.name === name),
      `${ns}/${name}`,
    );
  const out = get('apps', 'allow-to-alertmanager').spec.egress as Loose[];
  assert.deepEqual(
    out.map((r) => [peersOf([r], 'to')[0], r.ports.map((p: Loose) => p.port)]),
    [['monitoring', ['9093']]],
  );
  const into = get('monitoring', 'allow-alert-posts').spec.ingress as Loose[];
  assert.deepEqual(
    into.map((r) => [peersOf([r], 'from')[0], r.ports.map((p: Loose) => p.port)]),
    [['apps', ['9093']]],
  );
  const notify = get('monitoring', 'allow-notifications').spec.egress as Loose[];
  assert.deepEqual(
    notify.map((r) => r.ports.map((p: Loose) => p.port)),
    [['443']],
  );
});

void test('Prometheus scrapes every other namespace, and node-exporter and the kubelet on node addresses', () => {
  const all = policies();
  const monitoring = all.find(
    (p) => p.metadata.namespace === 'monitoring' && p.metadata.name === 'allow-scrape-and-api',
  );
  const nodeRule = (monitoring?.spec.egress as Loose[]).find((r) =>
    (r.ports as Loose[] | undefined)?.some((p) => p.port === '9100'),
  );
  assert.deepEqual(
    nodeRule?.ports.map((p: Loose) => p.port),
    ['9100', '10250'],
  );
  assert.deepEqual(peersOf([nodeRule!], 'to'), ['0.0.0.0/0', '::/0']);
  for (const ns of Object.values(namespaces).filter((n) => n !== 'monitoring')) {
    const scrape = all.find(
      (p) => p.metadata.namespace === ns && p.metadata.name === 'allow-monitoring-scrape',
    );
    assert.deepEqual(peersOf(scrape?.spec.ingress, 'from'), ['monitoring'], ns);
  }
});

void test('platform CA: self-signed root in the cluster resource namespace, CA ClusterIssuer signing leaves', () => {
  let ca: PlatformCa | undefined;
  const json = synth((s) => (ca = new PlatformCa(s, 'ca', { namespace: 'operators' })));
  const issuers = manifests(json, 'ClusterIssuer');
  assert.deepEqual(issuers.map((i) => Object.keys(i.spec)[0]).sort(), ['ca', 'selfSigned']);
  const root = only(manifests(json, 'Certificate'), 'root Certificate');
  assert.equal(root.spec.isCA, true);
  assert.equal(root.metadata.namespace, 'operators');
  const caIssuer = issuers.find((i) => i.spec.ca)!;
  assert.equal(caIssuer.spec.ca.secretName, root.spec.secretName);
  assert.deepEqual(ca!.issuer, { kind: 'ClusterIssuer', name: caIssuer.metadata.name });
  assert.throws(
    () => synth((s) => new PlatformCa(s, 'ca', { namespace: 'operators', duration: '10 years' })),
    /'duration' \("10 years"\) must be a Go duration in h\/m\/s/,
  );
});

void test('platform CA with approval: the CA signs what a policy allows; any other request meets a policy that allows nothing', () => {
  const requester = { namespace: 'operators', serviceAccount: 'cert-manager' };
  let ca: PlatformCa | undefined;
  const json = synth(
    (s) => (ca = new PlatformCa(s, 'ca', { namespace: 'operators', approval: { requester } })),
  );
  assert.deepEqual(ca!.issuer.approval, { requester });
  const refuse = only(manifests(json, 'CertificateRequestPolicy'), 'CertificateRequestPolicy');
  assert.deepEqual(refuse.spec, {
    allowed: {},
    selector: { issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: 'sensor-platform-ca' } },
  });
  const binding = only(resources(json, 'kubernetes_cluster_role_binding_v1'), 'binding') as Loose;
  assert.deepEqual(binding.subject, [
    { kind: 'Group', name: 'system:authenticated', api_group: 'rbac.authorization.k8s.io' },
  ]);
  const role = only(resources(json, 'kubernetes_cluster_role_v1'), 'role') as Loose;
  assert.deepEqual(role.rule[0].resource_names, [refuse.metadata.name]);
  assert.deepEqual(role.rule[0].verbs, ['use']);
});

void test("TLS certificate of an approving issuer: its own policy, usable by cert-manager in the certificate's namespace only", () => {
  const requester = { namespace: 'operators', serviceAccount: 'cert-manager' };
  const issuer = { kind: 'ClusterIssuer' as const, name: 'sensor-platform-ca', approval: { requester } };
  const json = synth(
    (s) =>
      new TlsCertificate(s, 'c', {
        issuer,
        namespace: 'postgres',
        name: 'pg-tls',
        usage: 'server',
        dnsNames: ['pg-rw', 'pg-rw.postgres.svc'],
      }),
  );
  const policy = only(manifests(json, 'CertificateRequestPolicy'), 'CertificateRequestPolicy');
  assert.equal(policy.metadata.name, 'postgres.pg-tls');
  assert.deepEqual(policy.spec.allowed, {
    commonName: { value: 'pg-tls', required: true },
    dnsNames: { values: ['pg-rw', 'pg-rw.postgres.svc'], required: true },
    usages: ['digital signature', 'key encipherment', 'server auth'],
    isCA: false,
  });
  assert.deepEqual(policy.spec.constraints, {
    maxDuration: '2160h',
    privateKey: { algorithm: 'ECDSA', minSize: 256, maxSize: 256 },
  });
  assert.deepEqual(policy.spec.selector.namespace, { matchNames: ['postgres'] });
  const role = only(resources(json, 'kubernetes_role_v1'), 'Role') as Loose;
  assert.equal(role.metadata.namespace, 'postgres');
  assert.deepEqual(role.rule[0].resource_names, ['postgres.pg-tls']);
  const binding = only(resources(json, 'kubernetes_role_binding_v1'), 'RoleBinding') as Loose;
  assert.equal(binding.metadata.namespace, 'postgres');
  assert.deepEqual(binding.subject, [
    { kind: 'ServiceAccount', name: 'cert-manager', namespace: 'operators' },
  ]);
  // The Certificate waits for its policy: a request before it would be denied for good.
  const certificate = Object.values(resources(json, 'kubernetes_manifest')).find(
    (r) => (r as Loose).manifest.kind === 'Certificate',
  ) as Loose;
  for (const dep of ['policy', 'role', 'binding'])
    assert.ok(
      certificate.depends_on.some((d: string) => d.includes(`approval_${dep}`)),
      `the Certificate does not depend on its ${dep}: ${JSON.stringify(certificate.depends_on)}`,
    );
});

void test("cert-manager's approver leaves the platform CA to approver-policy, which approves for nothing else", () => {
  const signer = 'clusterissuers.cert-manager.io/sensor-platform-ca';
  const cm = only(
    resources(
      synth(
        (s) =>
          new CertManagerOperator(s, 'cm', {
            autoApproveSignerNames: [
              'issuers.cert-manager.io/*',
              'clusterissuers.cert-manager.io/sensor-platform-selfsigned',
            ],
          }),
      ),
      'helm_release',
    ),
    'helm_release',
  ) as Loose;
  assert.match(
    cm.values[0],
    /approveSignerNames:\n {2}- issuers\.cert-manager\.io\/\*\n {2}- clusterissuers\.cert-manager\.io\/sensor-platform-selfsigned\n/,
  );
  assert.doesNotMatch(cm.values[0], new RegExp(signer.replace(/[./]/g, '\\$&')));
  const ap = only(
    resources(
      synth((s) => new ApproverPolicyOperator(s, 'ap', { approveSignerNames: [signer] })),
      'helm_release',
    ),
    'helm_release',
  ) as Loose;
  assert.deepEqual(
    [ap.chart, ap.repository, ap.version],
    ['cert-manager-approver-policy', 'https://charts.jetstack.io', 'v0.28.0'],
  );
  assert.match(
    ap.values[0],
    /approveSignerNames:\n {4}- clusterissuers\.cert-manager\.io\/sensor-platform-ca\n/,
  );
  assert.match(ap.values[0], /crds:\n {2}enabled: false/);
  assert.throws(
    () => synth((s) => new ApproverPolicyOperator(s, 'ap', { approveSignerNames: [] })),
    /'approveSignerNames' \(\[\]\) must name at least one signer/,
  );
});

void test('TLS certificate: server certificates need the names clients dial', () => {
  const issuer = { kind: 'ClusterIssuer' as const, name: 'ca' };
  assert.throws(
    () => synth((s) => new TlsCertificate(s, 'c', { issuer, namespace: 'x', name: 'srv', usage: 'server' })),
    /'dnsNames' of certificate 'srv' \(\[\]\) must name the hosts clients dial for usage 'server'/,
  );
  const cert = only(
    manifests(
      synth((s) => new TlsCertificate(s, 'c', { issuer, namespace: 'x', name: 'cli', usage: 'client' })),
      'Certificate',
    ),
    'Certificate',
  );
  assert.deepEqual(cert.spec.usages, ['digital signature', 'key encipherment', 'client auth']);
  assert.equal(cert.spec.privateKey.rotationPolicy, 'Always');
});

void test('cert-manager: pinned chart, its CRDs applied by the stacks (kept by Helm), cluster resource namespace', () => {
  const json = synth((s) => new CertManagerOperator(s, 'cm'));
  const r = only(resources(json, 'helm_release'), 'helm_release') as Loose;
  assert.deepEqual(
    [r.chart, r.repository, r.version],
    ['cert-manager', 'https://charts.jetstack.io', 'v1.21.2'],
  );
  assert.match(r.values[0], /crds:\n {2}enabled: false/);
  const crds = manifests(json, 'CustomResourceDefinition');
  assert.ok(crds.some((c) => c.metadata.name === 'certificates.cert-manager.io'));
  for (const c of crds) assert.equal(c.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
  assert.match(r.values[0], /clusterResourceNamespace: operators/);
});

void test("webhooks and the KEDA metrics API accept calls from the API server's CIDRs only, which the environment sets", () => {
  const webhookIngress = (all: Policy[]) =>
    all
      .filter((p) => p.spec.ingress?.some((r: Loose) => r.ports?.some((port: Loose) => port.port === '9443')))
      .map((p) => [`${p.metadata.namespace}/${p.metadata.name}`, peersOf(p.spec.ingress, 'from')])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
  assert.deepEqual(webhookIngress(policies(false, ['10.0.0.1/32'])), [
    ['monitoring/allow-scrape-and-api', ['10.0.0.1/32']],
    ['operators/allow-api-server', ['10.0.0.1/32']],
  ]);
  // Unset: any address, as before, on the webhook ports only (a managed control plane's address moves).
  assert.deepEqual(webhookIngress(policies()), [
    ['monitoring/allow-scrape-and-api', ['0.0.0.0/0']],
    ['operators/allow-api-server', ['0.0.0.0/0']],
  ]);
});
