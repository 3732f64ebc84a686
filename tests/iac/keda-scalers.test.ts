/**
 * Autoscaling seen acting, with KEDA's own code: the scaler probe (local/keda/scaler-probe.go, built
 * from KEDA's Go module at the stacks' pin) reads staging's ScaledObjects and TriggerAuthentications
 * from the local API server, resolves their Secrets and scale targets with KEDA's resolver, builds
 * KEDA's Kafka and Temporal scalers, and reports the metric KEDA's metrics server would serve the
 * HPA. The real pipeline makes the work: readings pile up with no bridge (consumer lag), the bridge
 * turns them into batch workflows with no worker (task-queue backlog), the worker drains them.
 *
 * What differs from the cluster, and only that (docs/iac-verification.md, "Autoscaling"): the
 * addresses, TLS (the local listeners are plain, so the certificates cert-manager would issue are
 * absent), and the topic, consumer group and task queue, which are this test's own. The lag
 * reader logs in with the username Secret as synthesized; its password Secret (Strimzi's, in a
 * cluster) holds the local user's.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureKubeApi, lockKubeApiForTests, type KubeApi } from '../../local/kube/api.js';
import { KubeClient, type KubeObject } from '../../local/kube/client.js';
import { LOCAL_KAFKA_USERS } from '../../local/config.js';
import { hpaReplicas, ScalerProbe, type ProbeReading } from '../../local/keda/scaler-probe.js';
import { ensureScalerProbe } from '../../local/keda/build.js';
import { produce, record, sensorData } from '../../local/testing/events.js';
import {
  eventually,
  stack,
  testBridgeConfig,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  uniqueId,
} from '../../local/testing/test-stack.js';
import { createBridgeMetrics } from '../../workers/bridge/bridge-metrics.js';
import { IngestBridge } from '../../workers/bridge/ingest-bridge.js';
import { createLogger } from '../../workers/lib/logger.js';
import { startSensorWorker, type RunningWorker } from '../../workers/worker/sensor-worker.js';
import { deleteNamespaces } from './lib/kube-apply.js';
import { renderOurReleases } from './lib/helm-render.js';
import { synthToTemp } from './lib/synth.js';
import { extractAll } from './lib/tf-to-kube.js';

const ENV = 'staging';
/**
 * Every environment's capacity model gives the bridge and the worker max replicas = min replicas (two
 * pods carry the design rate), so KEDA has no room to act as synthesized: the test raises the ceilings
 * the way an SRE does (docs/sre-guide.md), through PLATFORM_OVERRIDES, and synthesizes with them.
 */
const SRE_OVERRIDES = { [ENV]: { pipeline: { bridge: { maxReplicas: 6 }, worker: { maxReplicas: 6 } } } };

interface Trigger {
  type: string;
  metadata: Record<string, string>;
  authenticationRef: { name: string };
}
interface ScaledObject extends KubeObject {
  spec: {
    minReplicaCount: number;
    maxReplicaCount: number;
    scaleTargetRef: { name: string };
    triggers: Trigger[];
  };
}
interface TriggerAuthentication extends KubeObject {
  spec: { secretTargetRef: { parameter: string; name: string; key: string }[] };
}

let release: (() => void) | undefined;
let api: KubeApi;
let client: KubeClient;
/** What the pipeline stack synthesizes (and its releases render), by kind and name. */
let synthesized: KubeObject[] = [];
let namespace: string | undefined;

before(async () => {
  release = await lockKubeApiForTests();
  api = await ensureKubeApi();
  client = new KubeClient(api);
  // Built here, before any clock runs: the first build compiles every cloud SDK KEDA imports.
  await ensureScalerProbe();
  process.env.PLATFORM_OVERRIDES = JSON.stringify(SRE_OVERRIDES);
  const synth = await synthToTemp([ENV]);
  delete process.env.PLATFORM_OVERRIDES;
  try {
    const stack = synth.stacks.get(`pipeline-${ENV}`);
    assert.ok(stack, `pipeline-${ENV} was not synthesized`);
    synthesized = extractAll(`pipeline-${ENV}`, stack).objects.map((o) => o.object);
    for (const r of await renderOurReleases(stack)) synthesized.push(...r.objects);
  } finally {
    synth.cleanup();
  }
});

after(async () => {
  if (namespace && client) await deleteNamespaces(client, [namespace]);
  release?.();
});

function find<T extends KubeObject>(kind: string, predicate: (o: T) => boolean = () => true): T {
  const found = synthesized.find((o) => o.kind === kind && predicate(o as T));
  assert.ok(found, `${ENV}'s pipeline stack synthesizes no ${kind} that the test looks for`);
  return structuredClone(found) as T;
}

const scaledObjectWith = (type: string) =>
  find<ScaledObject>('ScaledObject', (o) => o.spec.triggers.some((t) => t.type === type));

/** Applies for real (the scalers read them back), owned by this test's field manager. */
async function applyAll(objects: readonly KubeObject[]): Promise<void> {
  for (const o of objects) await client.apply(o, { fieldManager: 'keda-scalers-test' });
}

/**
 * The Secrets the Deployments' containers read through secretKeyRef, which Strimzi, CloudNativePG and
 * cert-manager create in a cluster: KEDA resolves the scale target's environment before it builds a
 * scaler, and fails on a Secret that is missing. Placeholder values: no scaler here reads them.
 */
function operatorSecrets(
  deployments: readonly KubeObject[],
  namespace: string,
  except: readonly string[],
): KubeObject[] {
  const keys = new Map<string, Set<string>>();
  for (const d of deployments) {
    const containers =
      (
        d as {
          spec?: {
            template?: {
              spec?: {
                containers?: { env?: { valueFrom?: { secretKeyRef?: { name: string; key: string } } }[] }[];
              };
            };
          };
        }
      ).spec?.template?.spec?.containers ?? [];
    for (const c of containers)
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref && !except.includes(ref.name))
          keys.set(ref.name, (keys.get(ref.name) ?? new Set()).add(ref.key));
      }
  }
  return [...keys].map(([name, ks]) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    data: Object.fromEntries([...ks].map((k) => [k, Buffer.from('placeholder').toString('base64')])),
  }));
}

function metricOf(r: ProbeReading): { value: number; target: number } {
  assert.equal(r.error, undefined, `the scaler reported an error: ${r.error}`);
  assert.equal(r.metrics.length, 1, `expected one external metric, got ${JSON.stringify(r.metrics)}`);
  return { value: r.metrics[0]!.value, target: r.metrics[0]!.targetAverageValue };
}

void test(`${ENV}: KEDA's Kafka and Temporal scalers follow the bridge's lag and the worker's backlog from the synthesized objects`, async (t) => {
  const id = uniqueId('keda');
  const bridgeSo = scaledObjectWith('kafka');
  const workerSo = scaledObjectWith('temporal');
  namespace = bridgeSo.metadata.namespace!;
  const kafkaTrigger = bridgeSo.spec.triggers[0]!;
  const temporalTrigger = workerSo.spec.triggers[0]!;
  const bridgeAuth = find<TriggerAuthentication>(
    'TriggerAuthentication',
    (o) => o.metadata.name === kafkaTrigger.authenticationRef.name,
  );
  const workerAuth = find<TriggerAuthentication>(
    'TriggerAuthentication',
    (o) => o.metadata.name === temporalTrigger.authenticationRef.name,
  );
  const deployments = [bridgeSo, workerSo].map((so) =>
    find(
      'Deployment',
      (d) => d.metadata.name === so.spec.scaleTargetRef.name && d.metadata.namespace === namespace,
    ),
  );
  const usernameRef = bridgeAuth.spec.secretTargetRef.find((r) => r.parameter === 'username')!;
  const passwordRef = bridgeAuth.spec.secretTargetRef.find((r) => r.parameter === 'password')!;
  const usernameSecret = find('Secret', (s) => s.metadata.name === usernameRef.name);

  // This test's topics (6 partitions: room for more than one bridge), database and task queue.
  const ep = await stack();
  const topics = await testTopics(ep, id, 6);
  const db = await testDatabase(ep, id);
  const temporal = await testTemporal(ep);
  const kafka = testKafka(ep);
  let bridge: IngestBridge | undefined;
  let worker: RunningWorker | undefined;
  const probes: ScalerProbe[] = [];
  try {
    // The lag reader logs in as the username the stacks wrote: the local broker has that user.
    assert.equal(
      Buffer.from(
        String((usernameSecret as { data?: Record<string, string> }).data?.[usernameRef.key]),
        'base64',
      ).toString(),
      LOCAL_KAFKA_USERS.lagReader.username,
    );
    const passwordSecret: KubeObject = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: passwordRef.name, namespace },
      data: { [passwordRef.key]: Buffer.from(LOCAL_KAFKA_USERS.lagReader.password).toString('base64') },
    };
    // The local substitutions, and only them.
    kafkaTrigger.metadata = {
      ...kafkaTrigger.metadata,
      bootstrapServers: ep.kafkaBrokers.join(','),
      tls: 'disable',
      topic: topics.sensorData,
      consumerGroup: `${id}-bridge`,
    };
    // tlsServerName goes with TLS.
    temporalTrigger.metadata = {
      ...Object.fromEntries(Object.entries(temporalTrigger.metadata).filter(([k]) => k !== 'tlsServerName')),
      endpoint: ep.temporalAddress,
      taskQueue: `${id}-queue`,
    };
    await client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'keda-scalers-test' },
    );
    await applyAll([
      ...deployments,
      ...operatorSecrets(deployments, namespace, [usernameSecret.metadata.name, passwordRef.name]),
      usernameSecret,
      passwordSecret,
      bridgeAuth,
      workerAuth,
      bridgeSo,
      workerSo,
    ]);

    const bridgeProbe = await ScalerProbe.start(api.kubeconfig, { namespace, name: bridgeSo.metadata.name });
    probes.push(bridgeProbe);
    const workerProbe = await ScalerProbe.start(api.kubeconfig, { namespace, name: workerSo.metadata.name });
    probes.push(workerProbe);
    const replicas = (so: ScaledObject, r: ProbeReading) =>
      hpaReplicas(r.metrics[0]!, so.spec.minReplicaCount, so.spec.maxReplicaCount);

    // Idle: no lag, no backlog, the floor of replicas.
    const idleBridge = await bridgeProbe.waitFor('a first reading', () => true);
    const idleWorker = await workerProbe.waitFor('a first reading', () => true);
    assert.equal(metricOf(idleBridge).value, 0);
    assert.equal(metricOf(idleWorker).value, 0);
    assert.equal(idleBridge.active, false);

    // 1. Readings pile up with no bridge: the lag is exactly what was produced, and it asks for more bridges.
    const threshold = Number(kafkaTrigger.metadata.lagThreshold);
    const readings = Math.ceil((bridgeSo.spec.minReplicaCount + 0.5) * threshold);
    await produce(
      kafka,
      topics.sensorData,
      Array.from({ length: readings }, (_, i) => record(sensorData(`dev-${i % 60}`, i))),
    );
    const lagged = await bridgeProbe.waitFor(`lag ${readings}`, (r) => r.metrics[0]?.value === readings);
    assert.equal(lagged.active, true);
    assert.equal(metricOf(lagged).target, threshold, 'the HPA target is the synthesized lagThreshold');
    const bridgeUp = replicas(bridgeSo, lagged);
    t.diagnostic(`lag ${readings} / threshold ${threshold}: the HPA would run ${bridgeUp} bridge replicas`);
    assert.ok(bridgeUp > bridgeSo.spec.minReplicaCount, `lag of ${readings} keeps the bridge at ${bridgeUp}`);

    // 2. The bridge drains the lag into batch workflows; with no worker they wait on the task queue.
    bridge = new IngestBridge({
      config: testBridgeConfig(ep, id, topics),
      kafka,
      client: temporal.client,
      log: createLogger('keda-test-bridge'),
      metrics: createBridgeMetrics(),
    });
    await bridge.start();
    const drained = await bridgeProbe.waitFor('lag 0', (r) => r.metrics[0]?.value === 0, 120_000);
    assert.equal(drained.active, false);
    const target = Number(temporalTrigger.metadata.targetQueueSize);
    const backlog = await workerProbe.waitFor(
      `a backlog past ${target} (${target} per replica)`,
      (r) => (r.metrics[0]?.value ?? 0) > target,
      120_000,
    );
    assert.equal(backlog.active, true);
    assert.equal(metricOf(backlog).target, target, 'the HPA target is the synthesized targetQueueSize');
    const workersUp = replicas(workerSo, backlog);
    t.diagnostic(
      `backlog ${metricOf(backlog).value} / ${target}: the HPA would run ${workersUp} worker replicas`,
    );
    assert.ok(
      workersUp > workerSo.spec.minReplicaCount,
      `a backlog of ${metricOf(backlog).value} keeps the worker at ${workersUp}`,
    );
    assert.equal(
      replicas(bridgeSo, drained),
      bridgeSo.spec.minReplicaCount,
      'the bridge falls back to its floor',
    );

    // 3. The worker drains the backlog: every reading applied, the metric back to 0.
    worker = await startSensorWorker({
      config: testWorkerConfig(ep, id, topics, db.url),
      kafka,
      client: temporal.client,
      log: createLogger('keda-test-worker'),
    });
    const idle = await workerProbe.waitFor('backlog 0', (r) => r.metrics[0]?.value === 0, 180_000);
    assert.equal(
      replicas(workerSo, idle),
      workerSo.spec.minReplicaCount,
      'the worker falls back to its floor',
    );
    await eventually(
      `all ${readings} readings applied`,
      async () => {
        const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM processed_events');
        return Number(rows[0]!.n) === readings;
      },
      120_000,
    );
  } finally {
    for (const p of probes) await p.stop();
    await bridge?.stop();
    await worker?.shutdown();
    await temporal.close();
    await db.drop();
  }
});
