/**
 * cert-manager's approver-policy as a cluster runs it, beside the local API server: its controller
 * approves or denies CertificateRequests by CertificateRequestPolicy, and its admission webhook
 * validates each policy applied. Built from its Go module at the operators layer's pin
 * (local/tools/versions.ts).
 *
 * Only the address differs from a cluster: it runs on loopback, so the webhook's Service is an
 * ExternalName to localhost (the API server dials it like a ClusterIP); the webhook's certificate is
 * the one approver-policy makes for that Service name, from the CA it keeps in a Secret, as in a
 * cluster. cert-manager's controller is not run: a test writes the CertificateRequests it would write.
 */
import { daemonPid, freePort, logFile, startDaemon, stopDaemon, tailFile, waitFor } from '../lib/proc.js';
import type { KubeApi } from '../kube/api.js';
import { KubeClient, type KubeObject } from '../kube/client.js';
import { ensureGoTool } from '../tools/go.js';

const DAEMON = 'approver-policy';
/** The chart's names: its Service, the Secret of its webhook's CA, its webhook configuration. */
const SERVICE = 'cert-manager-approver-policy';
const CA_SECRET = 'cert-manager-approver-policy-tls';
const WEBHOOK_PATH = '/validate-policy-cert-manager-io-v1alpha1-certificaterequestpolicy';
const FIELD_MANAGER = 'local-approver-policy';

export interface RunningApproverPolicy {
  /** The last lines of its log (for a failure message). */
  logs(): string;
  stop(): Promise<void>;
}

const webhookConfiguration = (namespace: string, port: number, caBundle: string): KubeObject => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingWebhookConfiguration',
  metadata: { name: SERVICE },
  webhooks: [
    {
      name: 'policy.cert-manager.io',
      rules: [
        {
          apiGroups: ['policy.cert-manager.io'],
          apiVersions: ['*'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['certificaterequestpolicies'],
        },
      ],
      admissionReviewVersions: ['v1'],
      timeoutSeconds: 5,
      failurePolicy: 'Fail',
      sideEffects: 'None',
      clientConfig: { service: { name: SERVICE, namespace, port, path: WEBHOOK_PATH }, caBundle },
    },
  ],
});

/**
 * Removes the webhook configuration: while it names a server that is gone, every policy applied
 * afterwards is refused (failurePolicy Fail).
 */
async function unregister(client: KubeClient): Promise<void> {
  await client.delete({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: SERVICE },
  });
}

/** Starts approver-policy in `namespace` (which it creates), with its webhook registered. */
export async function startApproverPolicy(api: KubeApi, namespace: string): Promise<RunningApproverPolicy> {
  const binary = await ensureGoTool('approver-policy');
  const client = new KubeClient(api);
  await stopApproverPolicy(client);
  await client.apply(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    { fieldManager: FIELD_MANAGER },
  );
  const webhookPort = await freePort();
  const readyPort = await freePort();
  startDaemon({
    name: DAEMON,
    cmd: binary,
    env: { ...process.env, KUBECONFIG: api.kubeconfig },
    args: [
      `--kubeconfig=${api.kubeconfig}`,
      `--leader-election-namespace=${namespace}`,
      '--metrics-bind-address=0',
      `--readiness-probe-bind-address=127.0.0.1:${readyPort}`,
      '--webhook-host=127.0.0.1',
      `--webhook-port=${webhookPort}`,
      `--webhook-service-name=${SERVICE}`,
      `--webhook-ca-secret-namespace=${namespace}`,
      `--webhook-ca-secret-name=${CA_SECRET}`,
      '--log-level=2',
    ],
  });
  const logs = () => `--- ${DAEMON} (${logFile(DAEMON)})\n${tailFile(logFile(DAEMON), 20)}`;
  try {
    let caBundle = '';
    await waitFor(
      `approver-policy's webhook CA in Secret ${namespace}/${CA_SECRET}`,
      async () => {
        const secret = (await client.get({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: CA_SECRET, namespace },
        })) as { data?: Record<string, string> } | undefined;
        caBundle = secret?.data?.['ca.crt'] ?? '';
        return caBundle !== '';
      },
      { timeoutMs: 60_000, intervalMs: 250, daemon: DAEMON },
    );
    await client.apply(
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: SERVICE, namespace },
        spec: { type: 'ExternalName', externalName: 'localhost' },
      },
      { fieldManager: FIELD_MANAGER },
    );
    await client.apply(webhookConfiguration(namespace, webhookPort, caBundle), {
      fieldManager: FIELD_MANAGER,
    });
    await waitFor(
      'approver-policy ready (leader, caches synced)',
      async () => {
        try {
          return (await fetch(`http://127.0.0.1:${readyPort}/readyz`)).ok;
        } catch {
          return false;
        }
      },
      { timeoutMs: 60_000, intervalMs: 250, daemon: DAEMON },
    );
  } catch (err) {
    await stopApproverPolicy(client);
    throw new Error(`${(err as Error).message}\n${logs()}`, { cause: err });
  }
  return { logs, stop: () => stopApproverPolicy(client) };
}

async function stopApproverPolicy(client: KubeClient): Promise<void> {
  await unregister(client);
  if (daemonPid(DAEMON) !== undefined) await stopDaemon(DAEMON, 10_000);
}
