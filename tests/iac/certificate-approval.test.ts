/**
 * The platform CA signs only the certificates the stacks declare, where they declare them
 * (docs/decisions/0115-certificate-approval.md), seen with approver-policy's own code: it runs
 * against the local API server (built from its module at the operators layer's pin, its admission
 * webhook registered), prod's synthesized CertificateRequestPolicies and their RBAC are applied
 * through that webhook, and CertificateRequests are created as cert-manager's controller creates
 * them for a Certificate: a PKCS#10 request, the usages, the lifetime, and the requester that
 * cert-manager's webhook records (its controller's ServiceAccount).
 *
 * What differs from a cluster, and only that (docs/iac-verification.md, "Certificate approval"):
 * cert-manager's controller and webhook do not run, so the test writes the requests they would
 * write, and nothing is signed; a Denied request is one cert-manager never signs.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApproverPolicy, type RunningApproverPolicy } from '../../local/cert-manager/approver-policy.js';
import { ensureKubeApi, lockKubeApiForTests, type KubeApi } from '../../local/kube/api.js';
import { KubeClient, type KubeObject } from '../../local/kube/client.js';
import { certificateSigningRequest } from '../../local/lib/pki.js';
import { waitFor } from '../../local/lib/proc.js';
import { ensureGoTool } from '../../local/tools/go.js';
import { serviceAccountUser, type CertificateRequester } from '../../stacks/lib/certificate-approval.js';
import { deleteNamespaces } from './lib/kube-apply.js';
import { synthToTemp } from './lib/synth.js';
import { extractObjects } from './lib/tf-to-kube.js';

const ENV = 'prod';
/** A namespace the platform does not own, where someone creates a Certificate of their own. */
const FOREIGN = 'team-elsewhere';
const FIELD_MANAGER = 'certificate-approval-test';

interface Certificate extends KubeObject {
  spec: {
    commonName: string;
    dnsNames?: string[];
    usages: string[];
    duration: string;
    isCA?: boolean;
    issuerRef: { group: string; kind: string; name: string };
  };
}
interface Condition {
  type: string;
  status: string;
  message?: string;
}

let release: (() => void) | undefined;
let api: KubeApi;
let client: KubeClient;
let approver: RunningApproverPolicy | undefined;
/** What the operators, platform and pipeline stacks synthesize, in that order. */
const synthesized: KubeObject[] = [];
let requester: CertificateRequester;
let namespaces: string[] = [];

before(async () => {
  release = await lockKubeApiForTests();
  api = await ensureKubeApi();
  client = new KubeClient(api);
  await ensureGoTool('approver-policy');
  const synth = await synthToTemp([ENV]);
  try {
    for (const layer of ['operators', 'platform', 'pipeline']) {
      const stack = synth.stacks.get(`${layer}-${ENV}`);
      assert.ok(stack, `${layer}-${ENV} was not synthesized`);
      synthesized.push(...extractObjects(`${layer}-${ENV}`, stack).map((o) => o.object));
    }
  } finally {
    synth.cleanup();
  }
  const binding = synthesized.find(
    (o) => o.kind === 'RoleBinding' && o.metadata.name.startsWith('certificate-policy-'),
  );
  const subject = (binding as { subjects?: { namespace: string; name: string }[] } | undefined)
    ?.subjects?.[0];
  assert.ok(subject, `${ENV} synthesizes no RoleBinding that lets cert-manager use a certificate's policy`);
  requester = { namespace: subject.namespace, serviceAccount: subject.name };
  namespaces = [
    ...new Set([
      requester.namespace,
      FOREIGN,
      ...synthesized.filter((o) => o.kind === 'Certificate').map((o) => o.metadata.namespace!),
    ]),
  ];
  for (const name of namespaces)
    await client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      { fieldManager: FIELD_MANAGER },
    );
  approver = await startApproverPolicy(api, requester.namespace);
});

after(async () => {
  await approver?.stop();
  if (client) {
    for (const p of synthesized.filter((o) => o.kind === 'CertificateRequestPolicy')) await client.delete(p);
    for (const o of synthesized.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding'))
      await client.delete(o);
    await deleteNamespaces(client, namespaces);
  }
  release?.();
});

const ofKind = (kind: string) => synthesized.filter((o) => o.kind === kind);

function certificate(namespace: string, name: string): Certificate {
  const found = ofKind('Certificate').find(
    (o) => o.metadata.namespace === namespace && o.metadata.name === name,
  );
  assert.ok(found, `${ENV} synthesizes no Certificate ${namespace}/${name}`);
  return structuredClone(found) as Certificate;
}

let serial = 0;

interface RequestChanges {
  readonly namespace?: string;
  readonly commonName?: string;
  readonly dnsNames?: readonly string[];
  readonly duration?: string;
  readonly isCA?: boolean;
  readonly curve?: string;
  /** Someone other than cert-manager's controller creates the request. */
  readonly username?: string;
}

/** The CertificateRequest cert-manager creates for `cert`, with `changes` an attacker makes. */
function requestFor(cert: Certificate, changes: RequestChanges = {}): KubeObject {
  const namespace = changes.namespace ?? cert.metadata.namespace!;
  const username = changes.username ?? serviceAccountUser(requester);
  const csr = certificateSigningRequest({
    commonName: changes.commonName ?? cert.spec.commonName,
    dnsNames: changes.dnsNames ?? cert.spec.dnsNames ?? [],
    curve: changes.curve,
  });
  return {
    apiVersion: 'cert-manager.io/v1',
    kind: 'CertificateRequest',
    metadata: { name: `${cert.metadata.name}-${++serial}`, namespace },
    spec: {
      request: csr.toString('base64'),
      issuerRef: cert.spec.issuerRef,
      usages: cert.spec.usages,
      duration: changes.duration ?? cert.spec.duration,
      isCA: changes.isCA ?? cert.spec.isCA ?? false,
      username,
      groups: [
        'system:authenticated',
        'system:serviceaccounts',
        `system:serviceaccounts:${username.split(':')[2]}`,
      ],
    },
  };
}

/** Creates the request and returns the condition approver-policy decides it with. */
async function decide(request: KubeObject): Promise<Condition> {
  await client.apply(request, { fieldManager: FIELD_MANAGER });
  let decided: Condition | undefined;
  await waitFor(
    `approver-policy decides CertificateRequest ${request.metadata.namespace}/${request.metadata.name}`,
    async () => {
      const got = (await client.get(request)) as { status?: { conditions?: Condition[] } } | undefined;
      decided = got?.status?.conditions?.find(
        (c) => (c.type === 'Approved' || c.type === 'Denied') && c.status === 'True',
      );
      return decided !== undefined;
    },
    { timeoutMs: 30_000, intervalMs: 200, daemon: 'approver-policy' },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${approver?.logs()}`, { cause: err });
  });
  return decided!;
}

void test("prod's certificate policies pass approver-policy's webhook and become Ready", async () => {
  const policies = ofKind('CertificateRequestPolicy');
  const certificates = ofKind('Certificate').filter((c) =>
    (c as Certificate).spec.issuerRef.name.endsWith('-ca'),
  );
  // One per certificate the CA signs, and the one that refuses the rest.
  assert.equal(policies.length, certificates.length + 1, policies.map((p) => p.metadata.name).join(', '));
  for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding', 'CertificateRequestPolicy'])
    for (const o of ofKind(kind).filter(
      (o) => o.metadata.name.includes('certificate') || kind.startsWith('Cert'),
    ))
      await client.apply(o, { fieldManager: FIELD_MANAGER });
  // The webhook judged them: a policy it refuses is an apply error above. A policy it would refuse:
  await assert.rejects(
    client.apply(
      {
        apiVersion: 'policy.cert-manager.io/v1alpha1',
        kind: 'CertificateRequestPolicy',
        metadata: { name: 'selects-nothing' },
        spec: { allowed: {}, selector: {} },
      },
      { fieldManager: FIELD_MANAGER },
    ),
    /one of issuerRef or namespace must be defined/,
  );
  for (const p of policies)
    await waitFor(
      `CertificateRequestPolicy ${p.metadata.name} Ready`,
      async () => {
        const got = (await client.get(p)) as { status?: { conditions?: Condition[] } } | undefined;
        return got?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      },
      { timeoutMs: 30_000, intervalMs: 200, daemon: 'approver-policy' },
    );
});

void test('every certificate the stacks declare is approved, by its own policy', async () => {
  const certificates = ofKind('Certificate') as Certificate[];
  const signed = certificates.filter((c) => c.spec.issuerRef.name.endsWith('-ca'));
  assert.ok(signed.length >= 8, `only ${signed.length} certificates of the platform CA`);
  for (const cert of signed) {
    const decided = await decide(requestFor(cert));
    assert.equal(
      decided.type,
      'Approved',
      `${cert.metadata.namespace}/${cert.metadata.name}: ${decided.message}`,
    );
    assert.match(decided.message ?? '', new RegExp(`"${cert.metadata.namespace}\\.${cert.metadata.name}"`));
  }
});

void test('a certificate asking for a platform identity it was not given is denied, with the reason', async () => {
  const worker = certificate('sensor-pipeline', 'sensor-worker-tls');
  const admin = certificate('temporal', 'temporal-admin-tls');
  const web = certificate('temporal', 'temporal-web-tls');
  const postgres = certificate('postgres', 'sensor-pg-server-tls');
  // Policies are evaluated in name order and each names its objection: the message shows which
  // policies applied (the namespace and RBAC let only those through) and what each refused.
  const onlyUnlisted = /^No policy approved this request: \[sensor-platform-ca-unlisted:/;
  const attempts: [string, KubeObject, RegExp][] = [
    // Temporal's authorizer trusts the common name: minted in another namespace, it is refused.
    [
      'the worker identity from a foreign namespace',
      requestFor(worker, { namespace: FOREIGN }),
      onlyUnlisted,
    ],
    [
      "the operators' admin identity from the pipeline's namespace",
      requestFor(admin, { namespace: 'sensor-pipeline' }),
      /^No policy approved this request: \[sensor-pipeline\.ingest-bridge-tls: .*\] \[sensor-pipeline\.sensor-worker-tls: .*\] \[sensor-platform-ca-unlisted:/,
    ],
    [
      "Postgres's server names from a foreign namespace",
      requestFor(postgres, { namespace: FOREIGN }),
      onlyUnlisted,
    ],
    [
      'an extra name on the worker certificate',
      requestFor(worker, { dnsNames: ['kafka.example.com'] }),
      /\[sensor-pipeline\.sensor-worker-tls: spec\.allowed\.dnsNames: Invalid value: \["kafka\.example\.com"\]/,
    ],
    [
      'a CA certificate in place of the UI client',
      requestFor(web, { isCA: true }),
      /\[temporal\.temporal-web-tls: spec\.allowed\.isCA/,
    ],
    [
      'ten years instead of 90 days',
      requestFor(worker, { duration: '87600h' }),
      /\[sensor-pipeline\.sensor-worker-tls: spec\.constraints\.maxDuration/,
    ],
    [
      'a P-384 key where the policy says P-256',
      requestFor(worker, { curve: 'secp384r1' }),
      /\[sensor-pipeline\.sensor-worker-tls: spec\.constraints\.privateKey\.maxSize/,
    ],
    [
      'a request made directly, not through cert-manager',
      requestFor(worker, { username: 'system:serviceaccount:sensor-pipeline:default' }),
      onlyUnlisted,
    ],
  ];
  for (const [what, request, reason] of attempts) {
    const decided = await decide(request);
    assert.equal(decided.type, 'Denied', `${what}: ${decided.message}`);
    assert.match(decided.message ?? '', reason, what);
  }
});
