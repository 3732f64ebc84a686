/**
 * KEDA as a cluster runs it, beside the local API server: its operator (ScaledObject -> HPA, the
 * scalers, the gRPC metrics service) and its metrics server registered as the external metrics API
 * (APIService v1beta1.external.metrics.k8s.io) behind the API server's aggregation layer, with the
 * HPA controller reading it. Built from KEDA's module at the stacks' pin (./build.ts).
 *
 * Only the addresses differ from a cluster: both run on loopback, so the metrics server's Service is
 * an ExternalName to localhost (the aggregation layer resolves it like a ClusterIP, a host it can
 * dial), and its certificate names the Service as the aggregation layer verifies it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../lib/paths.js';
import { openPki } from '../lib/pki.js';
import { daemonPid, freePort, logFile, startDaemon, stopDaemon, tailFile, waitFor } from '../lib/proc.js';
import type { KubeApi } from '../kube/api.js';
import { KubeClient, type KubeObject } from '../kube/client.js';
import { ensureKedaBinaries } from './build.js';

/** KEDA's namespace and the Service names its chart uses. */
const NAMESPACE = 'keda';
const METRICS_SERVICE = 'keda-metrics-apiserver';
const EXTERNAL_METRICS = { group: 'external.metrics.k8s.io', version: 'v1beta1' } as const;
const API_SERVICE = `${EXTERNAL_METRICS.version}.${EXTERNAL_METRICS.group}`;
const DAEMONS = { operator: 'keda-operator', metricsServer: 'keda-metrics-apiserver' } as const;
const FIELD_MANAGER = 'local-keda';

export interface ExternalMetric {
  readonly metricName: string;
  readonly value: number;
}

export interface RunningKeda {
  /** The external metric as the HPA reads it, through the aggregation layer. */
  externalMetric(namespace: string, metricName: string, scaledObject: string): Promise<ExternalMetric>;
  /**
   * Deletes the ScaledObjects and TriggerAuthentications of `namespace` and waits until the operator
   * has released them (KEDA's finalizer): once it is stopped, nothing would, and the namespace would
   * never finish deleting.
   */
  release(namespace: string): Promise<void>;
  /** The last lines of the operator's and the metrics server's logs (for a failure message). */
  logs(): string;
  stop(): Promise<void>;
}

/** KEDA's certificates (the chart's kedaorg-certs: ca.crt, tls.crt, tls.key), made once. */
function certificates(): string {
  const dir = join(stateDir(), 'keda', 'certs');
  const pki = openPki(dir, { caName: 'KEDA', days: 3650 });
  if (!existsSync(pki.path('tls.crt')))
    pki.sign(
      'tls',
      'keda',
      [
        `subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:keda-operator.${NAMESPACE}.svc,DNS:${METRICS_SERVICE}.${NAMESPACE}.svc`,
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
  return dir;
}

function registration(port: number, caBundle: Buffer): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: METRICS_SERVICE, namespace: NAMESPACE },
      spec: { type: 'ExternalName', externalName: 'localhost' },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: API_SERVICE },
      spec: {
        group: EXTERNAL_METRICS.group,
        version: EXTERNAL_METRICS.version,
        service: { name: METRICS_SERVICE, namespace: NAMESPACE, port },
        caBundle: caBundle.toString('base64'),
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}

/**
 * Removes the APIService: while it names a server that is gone, discovery of the whole API reports an
 * error, which terraform, helm and later tests would meet.
 */
async function unregister(client: KubeClient): Promise<void> {
  await client.delete({
    apiVersion: 'apiregistration.k8s.io/v1',
    kind: 'APIService',
    metadata: { name: API_SERVICE },
  });
}

export async function startKeda(api: KubeApi): Promise<RunningKeda> {
  const bins = await ensureKedaBinaries();
  const client = new KubeClient(api);
  const certDir = certificates();
  await stopKeda(client);
  const grpcPort = await freePort();
  const securePort = await freePort();
  const metricsPort = await freePort();
  const env = {
    ...process.env,
    KUBECONFIG: api.kubeconfig,
    WATCH_NAMESPACE: '',
    POD_NAMESPACE: NAMESPACE,
    KEDA_CLUSTER_OBJECT_NAMESPACE: NAMESPACE,
  };
  startDaemon({
    name: DAEMONS.operator,
    cmd: bins.operator,
    env,
    args: [
      '--metrics-bind-address=0',
      '--health-probe-bind-address=0',
      `--metrics-service-bind-address=127.0.0.1:${grpcPort}`,
      `--cert-dir=${certDir}`,
      '--zap-log-level=info',
    ],
  });
  startDaemon({
    name: DAEMONS.metricsServer,
    cmd: bins.metricsServer,
    env,
    args: [
      `--secure-port=${securePort}`,
      '--bind-address=127.0.0.1',
      `--cert-dir=${certDir}`,
      `--tls-cert-file=${join(certDir, 'tls.crt')}`,
      `--tls-private-key-file=${join(certDir, 'tls.key')}`,
      `--metrics-service-address=localhost:${grpcPort}`,
      `--port=${metricsPort}`,
      `--authentication-kubeconfig=${api.kubeconfig}`,
      `--authorization-kubeconfig=${api.kubeconfig}`,
      `--lister-kubeconfig=${api.kubeconfig}`,
    ],
  });
  const logs = () =>
    Object.values(DAEMONS)
      .map((d) => `--- ${d} (${logFile(d)})\n${tailFile(logFile(d), 15)}`)
      .join('\n');
  try {
    for (const o of registration(securePort, openPki(certDir).pem('ca.crt')))
      await client.apply(o, { fieldManager: FIELD_MANAGER });
    await waitFor(
      `KEDA's metrics server available as ${API_SERVICE}`,
      async () => {
        const got = (await client.get({
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: { name: API_SERVICE },
        })) as { status?: { conditions?: { type: string; status: string }[] } } | undefined;
        return got?.status?.conditions?.some((c) => c.type === 'Available' && c.status === 'True') ?? false;
      },
      { timeoutMs: 90_000, intervalMs: 500, daemon: DAEMONS.metricsServer },
    );
  } catch (err) {
    await stopKeda(client);
    throw new Error(`${(err as Error).message}\n${logs()}`, { cause: err });
  }
  return {
    async externalMetric(namespace, metricName, scaledObject) {
      const selector = encodeURIComponent(`scaledobject.keda.sh/name=${scaledObject}`);
      const list = await client.json<{ items: { metricName: string; value: string }[] }>(
        'GET',
        `/apis/${EXTERNAL_METRICS.group}/${EXTERNAL_METRICS.version}/namespaces/${namespace}/${metricName}?labelSelector=${selector}`,
      );
      const item = list.items[0];
      if (!item)
        throw new Error(`no value for external metric ${metricName} of ${namespace}/${scaledObject}`);
      return { metricName: item.metricName, value: quantity(item.value) };
    },
    async release(namespace) {
      for (const resource of ['scaledobjects', 'triggerauthentications']) {
        const path = `/apis/keda.sh/v1alpha1/namespaces/${namespace}/${resource}`;
        await client.request('DELETE', path);
        await waitFor(
          `KEDA's operator releases the ${resource} of ${namespace}`,
          async () => (await client.json<{ items: unknown[] }>('GET', path)).items.length === 0,
          { timeoutMs: 60_000, intervalMs: 250, daemon: DAEMONS.operator },
        );
      }
    },
    logs,
    stop: () => stopKeda(client),
  };
}

async function stopKeda(client: KubeClient): Promise<void> {
  await unregister(client);
  for (const d of Object.values(DAEMONS)) if (daemonPid(d) !== undefined) await stopDaemon(d, 10_000);
}

/** A Kubernetes quantity as a number ("12", "1500m", "3k"). */
export function quantity(q: string): number {
  const m = /^(-?[0-9.]+)([a-zA-Z]*)$/.exec(q);
  if (!m) throw new Error(`not a quantity: ${q}`);
  const scale: Record<string, number> = { '': 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2 };
  const factor = scale[m[2]!];
  if (factor === undefined) throw new Error(`unknown quantity suffix in ${q}`);
  return Number(m[1]) * factor;
}
