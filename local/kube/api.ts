/**
 * A real Kubernetes control plane on loopback for the IaC and chart tests: etcd, kube-apiserver
 * (token auth, self-signed serving certificate, RBAC) and a kube-controller-manager running just the
 * controllers that make namespaces finish deleting. No nodes, no scheduler: objects are validated,
 * admitted and stored exactly as a cluster's API server would, but no pod ever runs.
 *
 * Data, keys and logs live under <stateDir>/kube; ports move with environment variables
 * (SENSOR_STACK_KUBE_*_PORT, read by local/config.ts).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig, type PortSetting } from '../config.js';
import { stateDir } from '../lib/paths.js';
import { openPki } from '../lib/pki.js';
import { assertPortFree, daemonPid, run, startDaemon, StackError, stopDaemon, waitFor } from '../lib/proc.js';
import { progress } from '../tools/go.js';
import { acquireLock, withLock } from '../tools/lock.js';
import { ensureKubeBinaries } from './build.js';
import { KubeClient, type KubeConnection, type KubeObject } from './client.js';
import { ensureCrdFiles, readCrdObjects } from './crds.js';

export interface KubeApi {
  /** A kubeconfig file whose current context is the admin token. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** Bearer token of a cluster admin (group system:masters). */
  readonly token: string;
  /** The PEM the server presents (self-signed; also embedded in the kubeconfig). */
  readonly ca: string;
}

const FRONT_PROXY_CLIENT = 'front-proxy-client';

const DAEMONS = {
  etcd: 'kube-etcd',
  apiserver: 'kube-apiserver',
  controllerManager: 'kube-controller-manager',
  workloadControllers: 'kube-workload-controllers',
} as const;

/** The control plane's ports, from local/config.ts (which reads and checks their variables). */
function portSetting(which: 'apiserver' | 'etcd' | 'etcdPeer'): PortSetting {
  const { kube } = loadStackConfig();
  return { apiserver: kube.apiserverPort, etcd: kube.etcdPort, etcdPeer: kube.etcdPeerPort }[which];
}

function port(which: 'apiserver' | 'etcd' | 'etcdPeer'): number {
  return portSetting(which).port;
}

function kubeState(): string {
  return join(stateDir(), 'kube');
}

const files = () => {
  const dir = kubeState();
  return {
    dir,
    pki: join(dir, 'pki'),
    etcdData: join(dir, 'etcd'),
    cert: join(dir, 'pki', 'apiserver.crt'),
    key: join(dir, 'pki', 'apiserver.key'),
    saKey: join(dir, 'pki', 'sa.key'),
    saPub: join(dir, 'pki', 'sa.pub'),
    tokens: join(dir, 'pki', 'tokens.csv'),
    token: join(dir, 'pki', 'admin.token'),
    kubeconfig: join(dir, 'kubeconfig'),
    server: join(dir, 'server'),
    frontProxy: join(dir, 'pki', 'front-proxy'),
  };
};

/** etcd from Debian's etcd-server package, installed on first use. */
async function ensureEtcd(): Promise<string> {
  const found = await run('sh', ['-c', 'command -v etcd || true']);
  if (found.trim()) return found.trim();
  if (process.getuid?.() !== 0) {
    throw new StackError(
      'etcd is needed for the local Kubernetes API server: apt-get install -y etcd-server',
    );
  }
  progress('installing etcd (apt-get install etcd-server); first time only');
  await run('apt-get', ['update', '-qq']);
  await run('apt-get', ['install', '-y', '-qq', 'etcd-server'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return (await run('sh', ['-c', 'command -v etcd'])).trim();
}

async function writePki(): Promise<void> {
  const f = files();
  mkdirSync(f.pki, { recursive: true });
  if (!existsSync(f.cert)) {
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-sha256',
      '-days',
      '3650',
      '-keyout',
      f.key,
      '-out',
      f.cert,
      '-subj',
      '/CN=kube-apiserver',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc',
    ]);
  }
  if (!existsSync(f.saKey)) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(f.saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
    writeFileSync(f.saPub, publicKey.export({ type: 'spki', format: 'pem' }));
  }
  // The aggregation layer's client identity towards extension API servers (KEDA's metrics server):
  // they trust requests signed by this CA and read the user from its X-Remote-* headers.
  if (!existsSync(join(f.frontProxy, `${FRONT_PROXY_CLIENT}.crt`)))
    openPki(f.frontProxy, { caName: 'front-proxy-ca', days: 3650 }).sign(
      FRONT_PROXY_CLIENT,
      FRONT_PROXY_CLIENT,
      'extendedKeyUsage=clientAuth\n',
    );
  if (!existsSync(f.token)) {
    const token = randomBytes(24).toString('hex');
    writeFileSync(f.token, `${token}\n`, { mode: 0o600 });
    // token,user,uid,"group1,group2"
    writeFileSync(f.tokens, `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
  }
}

function connection(): KubeApi {
  const f = files();
  return {
    kubeconfig: f.kubeconfig,
    server: readFileSync(f.server, 'utf8').trim(),
    token: readFileSync(f.token, 'utf8').trim(),
    ca: readFileSync(f.cert, 'utf8'),
  };
}

function writeKubeconfig(server: string, token: string, ca: string): void {
  const caData = Buffer.from(ca).toString('base64');
  writeFileSync(
    files().kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: local',
      '  cluster:',
      `    server: ${server}`,
      `    certificate-authority-data: ${caData}`,
      'users:',
      '- name: admin',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: local',
      '  context: { cluster: local, user: admin }',
      'current-context: local',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

async function ready(api: KubeConnection): Promise<boolean> {
  const res = await new KubeClient(api).request('GET', '/readyz');
  return res.status === 200;
}

async function healthyRunning(): Promise<KubeApi | undefined> {
  const f = files();
  if (daemonPid(DAEMONS.apiserver) === undefined || daemonPid(DAEMONS.etcd) === undefined) return undefined;
  if (!existsSync(f.server) || !existsSync(f.token)) return undefined;
  const api = connection();
  try {
    return (await ready(api)) ? api : undefined;
  } catch {
    return undefined;
  }
}

/** Starts etcd, kube-apiserver and kube-controller-manager, or returns the ones already running. */
export async function ensureKubeApi(): Promise<KubeApi> {
  const running = await healthyRunning();
  if (running) {
    await installCrds(running, false);
    return running;
  }
  return withLock(kubeState(), 'start', async () => {
    const again = await healthyRunning();
    if (again) return again;
    const api = await start();
    await installCrds(api, true);
    return api;
  });
}

async function start(): Promise<KubeApi> {
  const started = Date.now();
  // The CRDs are fetched while the binaries build; installCrds applies them once the server is up.
  const [bins, etcd] = await Promise.all([ensureKubeBinaries(), ensureEtcd(), ensureCrdFiles()]);
  await stopKubeApi();
  const ports = { apiserver: port('apiserver'), etcd: port('etcd'), etcdPeer: port('etcdPeer') };
  await assertPortFree(ports.etcd, portSetting('etcd').envVar);
  await assertPortFree(ports.etcdPeer, portSetting('etcdPeer').envVar);
  await assertPortFree(ports.apiserver, portSetting('apiserver').envVar);
  const f = files();
  // A fresh store every start: tests must not see what an earlier run left behind.
  rmSync(f.etcdData, { recursive: true, force: true });
  await writePki();
  const etcdUrl = `http://127.0.0.1:${ports.etcd}`;
  const peerUrl = `http://127.0.0.1:${ports.etcdPeer}`;
  startDaemon({
    name: DAEMONS.etcd,
    cmd: etcd,
    args: [
      '--name=local',
      `--data-dir=${f.etcdData}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=local=${peerUrl}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-level=warn',
    ],
  });
  const server = `https://127.0.0.1:${ports.apiserver}`;
  writeFileSync(f.server, `${server}\n`);
  startDaemon({
    name: DAEMONS.apiserver,
    cmd: bins.apiserver,
    args: [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      // No kubernetes Service endpoints: loopback is not a routable endpoint and nothing would use it.
      '--endpoint-reconciler-type=none',
      `--secure-port=${ports.apiserver}`,
      `--tls-cert-file=${f.cert}`,
      `--tls-private-key-file=${f.key}`,
      `--token-auth-file=${f.tokens}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${f.saPub}`,
      `--service-account-signing-key-file=${f.saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.96.0.0/16',
      // The default plugins that need nodes, storage or ingress classes we do not have are off.
      '--disable-admission-plugins=DefaultStorageClass,DefaultIngressClass,StorageObjectInUseProtection,PersistentVolumeClaimResize,TaintNodesByCondition,DefaultTolerationSeconds',
      '--allow-privileged=true',
      // The aggregation layer (APIService objects), as kubeadm configures it.
      `--requestheader-client-ca-file=${join(f.frontProxy, 'ca.crt')}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--proxy-client-cert-file=${join(f.frontProxy, `${FRONT_PROXY_CLIENT}.crt`)}`,
      `--proxy-client-key-file=${join(f.frontProxy, `${FRONT_PROXY_CLIENT}.key`)}`,
      '--profiling=false',
      '--v=1',
    ],
  });
  const api: KubeApi = {
    kubeconfig: f.kubeconfig,
    server,
    token: connection().token,
    ca: readFileSync(f.cert, 'utf8'),
  };
  writeKubeconfig(server, api.token, api.ca);
  await waitFor('kube-apiserver', () => ready(api), {
    timeoutMs: 120_000,
    intervalMs: 500,
    daemon: DAEMONS.apiserver,
  });
  startDaemon({
    name: DAEMONS.controllerManager,
    cmd: bins.controllerManager,
    args: controllerManagerArgs(f.kubeconfig, [
      'namespace-controller',
      'serviceaccount-controller',
      'garbage-collector-controller',
    ]),
  });
  await waitFor(
    'kube-controller-manager creates the default service account',
    async () => {
      const res = await new KubeClient(api).request(
        'GET',
        '/api/v1/namespaces/default/serviceaccounts/default',
      );
      return res.status === 200;
    },
    { timeoutMs: 60_000, intervalMs: 500, daemon: DAEMONS.controllerManager },
  );
  progress(`kubernetes API server ready at ${server} in ${Math.round((Date.now() - started) / 1000)} s`);
  return api;
}

/** A kube-controller-manager running only `controllers`, as the admin, serving nothing. */
function controllerManagerArgs(kubeconfig: string, controllers: readonly string[]): string[] {
  return [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    `--controllers=${controllers.join(',')}`,
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    '--secure-port=0',
    '--v=1',
  ];
}

/**
 * Exclusive use of the API server's namespaces for one test file at a time: test files run in
 * parallel processes, and two of them creating or deleting the same namespaces would collide.
 * Returns the release function.
 */
export async function lockKubeApiForTests(): Promise<() => void> {
  return acquireLock(kubeState(), 'tests');
}

/**
 * Starts the controllers that act on workloads, in a controller manager of their own: the HPA, and
 * the Deployment and ReplicaSet controllers that give a Deployment's scale subresource its status
 * (their pods are created and stay Pending: no scheduler, no kubelet). Only the autoscaling test
 * needs them; for every other test a Deployment stays an object. Returns the stop function.
 */
export async function startWorkloadControllers(
  api: KubeApi,
  opts: { hpaSyncSeconds: number },
): Promise<() => Promise<void>> {
  const bins = await ensureKubeBinaries();
  await stopDaemon(DAEMONS.workloadControllers, 10_000);
  startDaemon({
    name: DAEMONS.workloadControllers,
    cmd: bins.controllerManager,
    args: [
      ...controllerManagerArgs(api.kubeconfig, [
        'horizontal-pod-autoscaler-controller',
        'deployment-controller',
        'replicaset-controller',
      ]),
      `--horizontal-pod-autoscaler-sync-period=${opts.hpaSyncSeconds}s`,
    ],
  });
  return async () => {
    await stopDaemon(DAEMONS.workloadControllers, 10_000);
  };
}

/** Stops the controller managers, the API server and etcd (in that order). */
export async function stopKubeApi(): Promise<void> {
  await stopDaemon(DAEMONS.workloadControllers, 10_000);
  await stopDaemon(DAEMONS.controllerManager, 10_000);
  await stopDaemon(DAEMONS.apiserver, 15_000);
  await stopDaemon(DAEMONS.etcd, 10_000);
}

/** Every CRD object of the pinned operators. */
export async function crdObjects(): Promise<KubeObject[]> {
  const objs: KubeObject[] = [];
  for (const set of await ensureCrdFiles()) objs.push(...readCrdObjects(set.operator, set.version));
  return objs;
}

interface CrdStatus {
  status?: { conditions?: { type: string; status: string }[] };
}

/** Server-side applies the CRDs (all of them after a fresh start, missing ones otherwise) and waits for Established. */
async function installCrds(api: KubeApi, fresh: boolean): Promise<void> {
  const client = new KubeClient(api);
  const crds = await crdObjects();
  for (const crd of crds) {
    if (!fresh && (await client.get(crd))) continue;
    await client.apply(crd, { fieldManager: 'local-kube' });
  }
  for (const crd of crds) {
    await waitFor(
      `CRD ${crd.metadata.name} Established`,
      async () => {
        const got = (await client.get(crd)) as CrdStatus | undefined;
        return got?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
      },
      { timeoutMs: 60_000, intervalMs: 200, daemon: DAEMONS.apiserver },
    );
  }
}
