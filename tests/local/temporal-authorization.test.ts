/**
 * Temporal authorization on the platform's server (temporal-server/, decision 0114), with the policy
 * the stacks deploy (stacks/lib/temporal-authorization.ts) and mutual TLS as in the cluster:
 *
 * - the real bridge and worker, each with its own certificate, carry readings through to Postgres
 *   (their grants are enough: a missing one stalls the pipeline and the server logs the refusal);
 * - a certificate signed by the same CA but not named by the policy is refused at the handshake;
 * - a renewed client certificate (the mounted files rewritten) shuts the bridge down cleanly, to be
 *   restarted with it (workers/lib/tls-reload.ts);
 * - each workload is refused what it does not need (the bridge polls no task queue and terminates
 *   nothing; the worker terminates nothing), and the UI, with write actions off, reads but cannot
 *   signal.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time.js';
import { createTestPki, type Pki } from '../../local/lib/pki.js';
import { freePort, tailFile } from '../../local/lib/proc.js';
import {
  startPipelineProcess,
  stopPipelineProcess,
  waitReady,
  type PipelineProcess,
} from '../../local/pipeline-processes.js';
import {
  startAuthorizingTemporal,
  type AuthorizingTemporal,
} from '../../local/testing/authorizing-temporal.js';
import { produce, record, sensorData } from '../../local/testing/events.js';
import {
  eventually,
  stack,
  testBridgeConfig,
  testDatabase,
  testKafka,
  testProcessEnv,
  testTopics,
  testWorkerConfig,
  uniqueId,
} from '../../local/testing/test-stack.js';
import { temporalAuthorizationPolicy } from '../../stacks/lib/temporal-authorization.js';
import type { TemporalSettings } from '../../workers/config.js';
import { createBridgeMetrics } from '../../workers/bridge/bridge-metrics.js';
import { IngestBridge } from '../../workers/bridge/ingest-bridge.js';
import { createLogger } from '../../workers/lib/logger.js';
import { connectTemporal, temporalTls } from '../../workers/lib/temporal-client.js';
import { TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';
import { startSensorWorker, type RunningWorker } from '../../workers/worker/sensor-worker.js';

const IDS = {
  bridge: 'ingest-bridge',
  worker: 'sensor-worker',
  ui: 'temporal-ui',
  admin: 'temporal-admin',
  server: ['temporal-frontend'],
} as const;
const INTRUDER = 'intruder';
/** A refusal, also when the SDK wraps it ('Failed to start Workflow', its cause the refusal). */
const DENIED = (err: unknown): boolean =>
  /PERMISSION_DENIED|Request unauthorized/i.test(
    `${String(err)} ${String((err as { cause?: unknown }).cause)}`,
  );

let pki: Pki;
let server: AuthorizingTemporal | undefined;

function settings(identity: string, taskQueue = 'authorization-test'): TemporalSettings {
  return {
    address: server!.address,
    namespace: TEMPORAL_NAMESPACE,
    taskQueue,
    tls: {
      ca: pki.pem('ca.crt'),
      clientCert: { crt: pki.pem(`${identity}.crt`), key: pki.pem(`${identity}.key`) },
      serverName: server!.serverName,
    },
  };
}

before(async () => {
  pki = createTestPki('temporal-authorization-');
  for (const id of [IDS.bridge, IDS.worker, IDS.ui, IDS.admin, INTRUDER])
    pki.sign(id, id, 'extendedKeyUsage=clientAuth\n');
  server = await startAuthorizingTemporal(
    pki,
    temporalAuthorizationPolicy(IDS, TEMPORAL_NAMESPACE, { uiWrites: false }),
  );
  // The operators' identity creates the namespace, as the namespace job does in the cluster.
  await eventually(
    `namespace ${TEMPORAL_NAMESPACE} registered by ${IDS.admin}`,
    async () => {
      let admin: Awaited<ReturnType<typeof connectTemporal>> | undefined;
      try {
        admin = await connectTemporal(settings(IDS.admin));
        await admin.connection.workflowService
          .registerNamespace({
            namespace: TEMPORAL_NAMESPACE,
            workflowExecutionRetentionPeriod: msToTs('1 day'),
          })
          .catch((err: unknown) => {
            if (!/already exists/i.test(String(err))) throw err;
          });
        await admin.connection.workflowService.describeNamespace({ namespace: TEMPORAL_NAMESPACE });
        return true;
      } catch {
        return false;
      } finally {
        await admin?.connection.close();
      }
    },
    120_000,
  );
});

after(async () => {
  await server?.stop();
  pki?.remove();
});

void test('the bridge and the worker, each with its own identity, carry readings through the authorizing server', async () => {
  const id = uniqueId('authz');
  const ep = await stack();
  const topics = await testTopics(ep, id, 2);
  const db = await testDatabase(ep, id);
  const kafka = testKafka(ep);
  const bridgeTemporal = await connectTemporal(settings(IDS.bridge, `${id}-queue`));
  const workerTemporal = await connectTemporal(settings(IDS.worker, `${id}-queue`));
  let bridge: IngestBridge | undefined;
  let worker: RunningWorker | undefined;
  try {
    worker = await startSensorWorker({
      // As deployed: the ledger-retention schedule is kept, alerts signal device-alert workflows.
      config: testWorkerConfig(ep, id, topics, db.url, {
        temporal: settings(IDS.worker, `${id}-queue`),
        ledgerRetention: {
          retentionMs: 8 * 24 * 3600_000,
          auditRetentionMs: 30 * 24 * 3600_000,
          intervalMs: 3600_000,
        },
      }),
      kafka,
      client: workerTemporal.client,
      log: createLogger('authz-test-worker'),
    });
    bridge = new IngestBridge({
      config: testBridgeConfig(ep, id, topics, { temporal: settings(IDS.bridge, `${id}-queue`) }),
      kafka,
      client: bridgeTemporal.client,
      log: createLogger('authz-test-bridge'),
      metrics: createBridgeMetrics(),
    });
    await bridge.start();
    const readings = 500;
    await produce(
      kafka,
      topics.sensorData,
      // Device dev-0 runs hot: its readings raise an alert (signal-with-start, then signals).
      Array.from({ length: readings }, (_, i) =>
        record(sensorData(`dev-${i % 25}`, i, i % 25 === 0 ? { readings: { temperature: 95 } } : {})),
      ),
    );
    try {
      await eventually(
        `all ${readings} readings applied`,
        async () => {
          const { rows } = await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM processed_events');
          return Number(rows[0]!.n) === readings;
        },
        120_000,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\nserver log:\n${server!.logs()}`, { cause: err });
    }
    const refused = server!
      .logs(2000)
      .split('\n')
      .filter(
        (l) => l.includes('Authorization refused') && (l.includes(IDS.bridge) || l.includes(IDS.worker)),
      );
    assert.deepEqual(refused, [], 'the bridge and the worker were refused calls their code makes');
  } finally {
    await bridge?.stop();
    await worker?.shutdown();
    await bridgeTemporal.connection.close();
    await workerTemporal.connection.close();
    await db.drop();
  }
});

void test('a renewed client certificate shuts the bridge down cleanly; restarted, it connects with the new one', async () => {
  const id = uniqueId('authz-renewal');
  const ep = await stack();
  const topics = await testTopics(ep, id, 1);
  // The mounted Secret: the kubelet rewrites these files when cert-manager renews the certificate.
  const mounted = mkdtempSync(join(tmpdir(), 'bridge-tls-'));
  const mount = (identity: string) => {
    copyFileSync(pki.path('ca.crt'), join(mounted, 'ca.crt'));
    copyFileSync(pki.path(`${identity}.key`), join(mounted, 'tls.key'));
    copyFileSync(pki.path(`${identity}.crt`), join(mounted, 'tls.crt'));
  };
  mount(IDS.bridge);
  const env = {
    ...testProcessEnv(ep, id, topics, 'postgres://unused'),
    TEMPORAL_ADDRESS: server!.address,
    TEMPORAL_NAMESPACE,
    TEMPORAL_TLS_CA_PATH: join(mounted, 'ca.crt'),
    TEMPORAL_TLS_CERT_PATH: join(mounted, 'tls.crt'),
    TEMPORAL_TLS_KEY_PATH: join(mounted, 'tls.key'),
    TEMPORAL_TLS_SERVER_NAME: server!.serverName,
    TLS_RELOAD_CHECK_MS: '1000',
    TLS_RELOAD_JITTER_MS: '0',
  };
  const processes: PipelineProcess[] = [];
  try {
    const first = startPipelineProcess('bridge', `${id}-bridge`, env, await freePort());
    processes.push(first);
    await waitReady(first);
    // cert-manager renews: a new key and certificate for the same identity.
    pki.sign(`${IDS.bridge}-renewed`, IDS.bridge, 'extendedKeyUsage=clientAuth\n');
    mount(`${IDS.bridge}-renewed`);
    const code = await Promise.race([
      first.exited,
      new Promise<string>((r) => setTimeout(() => r('still running 60 s after the renewal'), 60_000)),
    ]);
    assert.equal(code, 0, `the bridge shuts down cleanly on renewal:\n${tailFile(first.logFile, 20)}`);
    assert.match(readFileSync(first.logFile, 'utf8'), /TLS material renewed/);
    const second = startPipelineProcess('bridge', `${id}-bridge-2`, env, await freePort());
    processes.push(second);
    await waitReady(second);
  } finally {
    for (const p of processes) await stopPipelineProcess(p);
    rmSync(mounted, { recursive: true, force: true });
  }
});

void test('a certificate from the same CA that the policy does not name is refused every call', async () => {
  // The handshake and GetSystemInfo are open to every client, as health checks are.
  const intruder = await connectTemporal(settings(INTRUDER));
  try {
    await assert.rejects(
      intruder.connection.workflowService.describeNamespace({ namespace: TEMPORAL_NAMESPACE }),
      DENIED,
    );
    await assert.rejects(
      intruder.client.workflow.start('anything', {
        taskQueue: 'authorization-test',
        workflowId: uniqueId('intruder'),
      }),
      DENIED,
    );
    await assert.rejects(intruder.connection.workflowService.listNamespaces({}), DENIED);
  } finally {
    await intruder.connection.close();
  }
});

void test('each identity is refused what it does not need; the UI reads but cannot write', async () => {
  const connect = (identity: string) =>
    Connection.connect({ address: server!.address, tls: temporalTls(settings(identity)) });
  const admin = await connectTemporal(settings(IDS.admin));
  const bridge = await connect(IDS.bridge);
  const worker = await connect(IDS.worker);
  const ui = await connect(IDS.ui);
  try {
    const workflowId = uniqueId('authz-target');
    await admin.client.workflow.start('noSuchWorkflow', { taskQueue: 'authorization-test', workflowId });
    const execution = { workflowId };
    const terminate = { namespace: TEMPORAL_NAMESPACE, workflowExecution: execution, reason: 'test' };

    await assert.rejects(bridge.workflowService.terminateWorkflowExecution(terminate), DENIED);
    await assert.rejects(
      bridge.workflowService.pollWorkflowTaskQueue({
        namespace: TEMPORAL_NAMESPACE,
        taskQueue: { name: 'authorization-test' },
      }),
      DENIED,
    );
    await assert.rejects(worker.workflowService.terminateWorkflowExecution(terminate), DENIED);

    const described = await ui.workflowService.describeWorkflowExecution({
      namespace: TEMPORAL_NAMESPACE,
      execution,
    });
    assert.equal(described.workflowExecutionInfo?.execution?.workflowId, workflowId);
    await assert.rejects(
      ui.workflowService.signalWorkflowExecution({
        namespace: TEMPORAL_NAMESPACE,
        workflowExecution: execution,
        signalName: 'acknowledge',
      }),
      DENIED,
    );
    await assert.rejects(ui.workflowService.terminateWorkflowExecution(terminate), DENIED);
    // The refusals name who asked for what.
    assert.match(
      server!.logs(200),
      /Authorization refused.*temporal-ui.*SignalWorkflowExecution|SignalWorkflowExecution.*temporal-ui/,
    );
    await admin.connection.workflowService.terminateWorkflowExecution(terminate);
  } finally {
    for (const c of [bridge, worker, ui, admin.connection]) await c.close();
  }
});
