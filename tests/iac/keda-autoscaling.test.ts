/**
 * Autoscaling seen acting, with KEDA's own code and the HPA loop: KEDA's operator and metrics server
 * (built from KEDA's Go module at the stacks' pin, local/keda) read staging's ScaledObjects and
 * TriggerAuthentications from the local API server, the operator creates their HPAs and builds
 * KEDA's Kafka and Temporal scalers, the metrics server serves their metrics as the external metrics
 * API, and the HPA controller (kube-controller-manager) scales the Deployments. The real pipeline
 * makes the work: readings pile up with no bridge (consumer lag), the bridge turns them into batch
 * workflows with no worker (task-queue backlog), the worker drains them.
 *
 * What differs from the cluster, and only that (docs/iac-verification.md, "Autoscaling"): the
 * addresses, TLS (the local listeners are plain, so the certificates cert-manager would issue are
 * absent), the topic, consumer group and task queue, which are this test's own, and the scale-down
 * window, shortened so that a fall back to the floor is seen in seconds. The lag reader logs in with
 * the username Secret as synthesized; its password Secret (Strimzi's, in a cluster) holds the local
 * user's. No pod runs (no kubelet): the replicas the HPA asks for are Deployment and ReplicaSet
 * objects with Pending pods.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  ensureKubeApi,
  lockKubeApiForTests,
  startWorkloadControllers,
  type KubeApi,
} from '../../local/kube/api.js';
import { KubeClient, type KubeObject } from '../../local/kube/client.js';
import { LOCAL_KAFKA_USERS } from '../../local/config.js';
import { ensureKedaBinaries } from '../../local/keda/build.js';
import { quantity, startKeda, type RunningKeda } from '../../local/keda/keda.js';
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
    advanced: {
      horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: number } } };
    };
  };
  status?: { conditions?: { type: string; status: string; message?: string }[] };
}
/** The HPA KEDA's operator creates for a ScaledObject (autoscaling/v2), as far as the test reads it. */
interface Hpa extends KubeObject {
  spec: {
    minReplicas: number;
    maxReplicas: number;
    metrics: { type: string; external?: { metric: { name: string }; target: { averageValue: string } } }[];
  };
  status?: { desiredReplicas?: number; currentReplicas?: number };
}
interface Deployment extends KubeObject {
  spec: { replicas?: number };
  status?: { replicas?: number };
}
/** Seconds the HPA waits before scaling down: shortened from the synthesized cooldown (see top). */
const LOCAL_SCALE_DOWN_WINDOW_SECONDS = 10;
/** How often the HPA controller syncs (a cluster's default is 15 s). */
const HPA_SYNC_SECONDS = 5;
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
  await ensureKedaBinaries();
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
  for (const o of objects) await client.apply(o, { fieldManager: 'keda-autoscaling-test' });
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

/** The replica count the HPA computes from an AverageValue target, within its bounds. */
function hpaFormula(value: number, target: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.ceil(value / target)));
}

void test(`${ENV}: KEDA's operator, metrics server and the HPA scale the bridge on lag and the worker on backlog, from the synthesized objects`, async (t) => {
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
    find<Deployment & { spec: { template: { spec: { serviceAccountName?: string } } } }>(
      'Deployment',
      (d) => d.metadata.name === so.spec.scaleTargetRef.name && d.metadata.namespace === namespace,
    ),
  );
  // The ReplicaSet controller creates the pods, which admission refuses without their ServiceAccount.
  const serviceAccounts = deployments.map((d) =>
    find('ServiceAccount', (a) => a.metadata.name === d.spec.template.spec.serviceAccountName),
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
  let keda: RunningKeda | undefined;
  let stopControllers: (() => Promise<void>) | undefined;
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
    for (const so of [bridgeSo, workerSo]) {
      const scaleDown = so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown;
      assert.ok(scaleDown.stabilizationWindowSeconds > 0, 'the synthesized objects set a scale-down window');
      scaleDown.stabilizationWindowSeconds = LOCAL_SCALE_DOWN_WINDOW_SECONDS;
    }
    await client.apply(
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
      { fieldManager: 'keda-autoscaling-test' },
    );
    await applyAll([
      ...serviceAccounts,
      ...deployments,
      ...operatorSecrets(deployments, namespace, [usernameSecret.metadata.name, passwordRef.name]),
      usernameSecret,
      passwordSecret,
      bridgeAuth,
      workerAuth,
      bridgeSo,
      workerSo,
    ]);

    stopControllers = await startWorkloadControllers(api, { hpaSyncSeconds: HPA_SYNC_SECONDS });
    keda = await startKeda(api);
    const running = keda;

    /** Waits for `accept`, naming what it waited for, the last value seen and KEDA's logs. */
    async function until<T>(what: string, read: () => Promise<T>, accept: (v: T) => boolean, ms = 120_000) {
      let last: T | undefined;
      let lastError: unknown;
      try {
        await eventually(
          what,
          async () => {
            try {
              last = await read();
              lastError = undefined;
              return accept(last);
            } catch (err) {
              lastError = err;
              return false;
            }
          },
          ms,
        );
      } catch (err) {
        throw new Error(
          `${(err as Error).message}; last seen ${JSON.stringify(last)}${lastError ? `, error ${String(lastError)}` : ''}\n${running.logs()}`,
          { cause: err },
        );
      }
      return last as T;
    }
    const get = async <T extends KubeObject>(o: KubeObject) => (await client.get(o)) as T | undefined;
    const hpaOf = (so: ScaledObject) =>
      get<Hpa>({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: `keda-hpa-${so.metadata.name}`, namespace },
      });
    const replicasOf = async (so: ScaledObject) =>
      (
        await get<Deployment>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: so.spec.scaleTargetRef.name, namespace },
        })
      )?.spec.replicas;

    // KEDA's operator accepts both ScaledObjects and creates their HPAs with the synthesized bounds and targets.
    const hpas = new Map<ScaledObject, { metric: string; target: number }>();
    for (const so of [bridgeSo, workerSo]) {
      await until(
        `ScaledObject ${so.metadata.name} Ready`,
        () => get<ScaledObject>(so),
        (o) => o?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
      );
      const hpa = await until(
        `the HPA of ${so.metadata.name}`,
        () => hpaOf(so),
        (h) => h !== undefined,
      );
      assert.equal(hpa!.spec.minReplicas, so.spec.minReplicaCount);
      assert.equal(hpa!.spec.maxReplicas, so.spec.maxReplicaCount);
      const external = hpa!.spec.metrics.find((m) => m.type === 'External')?.external;
      assert.ok(external, `the HPA of ${so.metadata.name} has no external metric`);
      hpas.set(so, { metric: external.metric.name, target: quantity(external.target.averageValue) });
    }
    const metric = (so: ScaledObject) =>
      running.externalMetric(namespace!, hpas.get(so)!.metric, so.metadata.name).then((m) => m.value);
    const lagThreshold = Number(kafkaTrigger.metadata.lagThreshold);
    const queueTarget = Number(temporalTrigger.metadata.targetQueueSize);
    assert.equal(
      hpas.get(bridgeSo)!.target,
      lagThreshold,
      "the bridge's HPA target is the synthesized lagThreshold",
    );
    assert.equal(
      hpas.get(workerSo)!.target,
      queueTarget,
      "the worker's HPA target is the synthesized targetQueueSize",
    );

    // Idle: no lag, no backlog, both Deployments at their floor.
    assert.equal(
      await until(
        'the lag metric',
        () => metric(bridgeSo),
        () => true,
      ),
      0,
    );
    assert.equal(
      await until(
        'the backlog metric',
        () => metric(workerSo),
        () => true,
      ),
      0,
    );
    for (const so of [bridgeSo, workerSo])
      await until(
        `${so.spec.scaleTargetRef.name} at its floor`,
        () => replicasOf(so),
        (r) => r === so.spec.minReplicaCount,
      );

    // 1. Readings pile up with no bridge: the lag is exactly what was produced, and the HPA adds bridges.
    const readings = Math.ceil((bridgeSo.spec.minReplicaCount + 0.5) * lagThreshold);
    await produce(
      kafka,
      topics.sensorData,
      Array.from({ length: readings }, (_, i) => record(sensorData(`dev-${i % 60}`, i))),
    );
    await until(
      `lag ${readings}`,
      () => metric(bridgeSo),
      (v) => v === readings,
    );
    const bridgesUp = hpaFormula(
      readings,
      lagThreshold,
      bridgeSo.spec.minReplicaCount,
      bridgeSo.spec.maxReplicaCount,
    );
    assert.ok(bridgesUp > bridgeSo.spec.minReplicaCount);
    await until(
      `the HPA scales the bridge to ${bridgesUp}`,
      () => replicasOf(bridgeSo),
      (r) => r === bridgesUp,
    );
    t.diagnostic(
      `lag ${readings} / threshold ${lagThreshold}: the HPA scaled the bridge to ${bridgesUp} replicas`,
    );

    // 2. The bridge drains the lag into batch workflows; with no worker they wait on the task queue.
    bridge = new IngestBridge({
      config: testBridgeConfig(ep, id, topics),
      kafka,
      client: temporal.client,
      log: createLogger('keda-test-bridge'),
      metrics: createBridgeMetrics(),
    });
    await bridge.start();
    await until(
      'lag 0',
      () => metric(bridgeSo),
      (v) => v === 0,
    );
    const backlog = await until(
      `a backlog past ${queueTarget} (${queueTarget} per replica)`,
      () => metric(workerSo),
      (v) => v > queueTarget,
    );
    const workersUp = await until(
      'the HPA adds workers',
      () => replicasOf(workerSo),
      (r) => (r ?? 0) > workerSo.spec.minReplicaCount,
    );
    t.diagnostic(`backlog ${backlog} / ${queueTarget}: the HPA scaled the worker to ${workersUp} replicas`);
    await until(
      'the bridge back at its floor',
      () => replicasOf(bridgeSo),
      (r) => r === bridgeSo.spec.minReplicaCount,
    );

    // 3. The worker drains the backlog: every reading applied, the metric back to 0, the floor again.
    worker = await startSensorWorker({
      config: testWorkerConfig(ep, id, topics, db.url),
      kafka,
      client: temporal.client,
      log: createLogger('keda-test-worker'),
    });
    await until(
      'backlog 0',
      () => metric(workerSo),
      (v) => v === 0,
      180_000,
    );
    await until(
      'the worker back at its floor',
      () => replicasOf(workerSo),
      (r) => r === workerSo.spec.minReplicaCount,
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
    if (keda) {
      await keda.release(namespace);
      await keda.stop();
    }
    await stopControllers?.();
    await bridge?.stop();
    await worker?.shutdown();
    await temporal.close();
    await db.drop();
  }
});
