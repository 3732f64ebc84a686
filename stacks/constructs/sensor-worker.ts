import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import { Construct } from 'constructs';
import type { PostgresCredentials } from '../lib/connections.js';
import { kedaScaledObject } from './keda-scaled-object.js';
import { pipelineChartRelease, type PipelineServiceProps } from './pipeline-chart-release.js';
import { kubeManifest } from '../lib/kube-manifest.js';

/** The release's name: also its Temporal client certificate's common name (decision 0114). */
export const SENSOR_WORKER_RELEASE = 'sensor-worker';

const DEFAULTS = {
  releaseName: SENSOR_WORKER_RELEASE,
  minReplicas: 1,
  maxReplicas: 10,
  targetQueueSize: 20,
  databasePoolSize: 10,
  cpu: '1',
  memory: '1Gi',
  pollingIntervalSeconds: 15,
  cooldownSeconds: 300,
  queueTypes: 'workflow,activity',
};

export interface SensorWorkerProps extends PipelineServiceProps {
  /** The worker's own role: DML on the application database, no DDL. */
  readonly database: PostgresCredentials;
  /**
   * The application database's owner, which the chart's `migrate` init container runs the
   * migrations as (granting `database.username` its DML); the worker's container never mounts it.
   */
  readonly migrations: PostgresCredentials;
  /** Namespace of the Postgres Pooler, allowed by the NetworkPolicy. */
  readonly postgresNamespace: string;
  /**
   * Worker versioning: the Temporal Worker Deployment name and this rollout's build ID.
   * @see https://docs.temporal.io/production-deployment/worker-deployments/worker-versioning
   */
  readonly versioning: { readonly deploymentName: string; readonly buildId: string };
  /** @default 10 */
  readonly maxReplicas?: number;
  /**
   * Task-queue backlog per replica that KEDA aims for.
   * @default 20
   * @see https://keda.sh/docs/2.20/scalers/temporal/
   */
  readonly targetQueueSize?: number;
  /** Postgres connections per pod (DATABASE_POOL_SIZE). @default 10 */
  readonly databasePoolSize?: number;
  /**
   * Alertmanager's base URL (ALERTMANAGER_URL): device-alert transitions are posted there, and the
   * NetworkPolicy lets the pods reach it. @default none (the alerts topic only)
   */
  readonly alertmanagerUrl?: string;
}

/**
 * The Temporal worker chart plus its KEDA ScaledObject on the task queue's backlog.
 *
 * @example
 * new SensorWorker(this, 'worker', { namespace: 'sensor-pipeline', chartPath, image, kafka, credentials,
 *   database, migrations, temporal, taskQueue: TASK_QUEUE,
 *   versioning: { deploymentName: 'sensor-worker', buildId: '1.4.0' } });
 */
export class SensorWorker extends Construct {
  public readonly release: Release;
  public readonly deploymentName: string;

  constructor(scope: Construct, id: string, props: SensorWorkerProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (p.minReplicas > p.maxReplicas) {
      throw new Error(`'minReplicas' (${p.minReplicas}) must be <= 'maxReplicas' (${p.maxReplicas})`);
    }
    if (!Number.isInteger(p.targetQueueSize) || p.targetQueueSize < 1) {
      throw new Error(`'targetQueueSize' (${p.targetQueueSize}) must be an integer >= 1`);
    }
    for (const [field, ns] of [
      ['credentials', p.credentials.namespace],
      ['database', p.database.namespace],
      ['migrations', p.migrations.namespace],
    ] as const) {
      if (ns !== p.namespace) {
        throw new Error(
          `'${field}.namespace' (${JSON.stringify(ns)}) must equal 'namespace' (${JSON.stringify(p.namespace)}): pods read Secrets from their own namespace`,
        );
      }
    }
    this.deploymentName = p.releaseName;
    const { release, clientCert } = pipelineChartRelease(this, 'worker', p, {
      database: { existingSecret: p.database.secretName, poolSize: p.databasePoolSize, tls: true },
      migrations: { existingSecret: p.migrations.secretName, runtimeRole: p.database.username },
      versioning: {
        enabled: true,
        deploymentName: p.versioning.deploymentName,
        buildId: p.versioning.buildId,
      },
      networkPolicy: { postgresNamespace: p.postgresNamespace },
      alertmanager: { url: p.alertmanagerUrl ?? '' },
    });
    this.release = release;
    // KEDA's Temporal scaler connects like a worker: mutual TLS with the worker's certificate.
    const auth = kubeManifest(
      this,
      'trigger-auth',
      {
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'TriggerAuthentication',
        metadata: { name: `${p.releaseName}-temporal`, namespace: p.namespace },
        spec: {
          secretTargetRef: [
            { parameter: 'cert', name: clientCert.secret.secretName, key: 'tls.crt' },
            { parameter: 'key', name: clientCert.secret.secretName, key: 'tls.key' },
            { parameter: 'ca', name: clientCert.secret.secretName, key: 'ca.crt' },
          ],
        },
      },
      [clientCert.resource],
    );
    kedaScaledObject(
      this,
      {
        name: p.releaseName,
        namespace: p.namespace,
        deploymentName: this.deploymentName,
        minReplicas: p.minReplicas,
        maxReplicas: p.maxReplicas,
        pollingIntervalSeconds: p.pollingIntervalSeconds,
        cooldownSeconds: p.cooldownSeconds,
        trigger: {
          type: 'temporal',
          metadata: {
            endpoint: p.temporal.address,
            namespace: p.temporal.namespace,
            taskQueue: p.taskQueue,
            queueTypes: p.queueTypes,
            targetQueueSize: String(p.targetQueueSize),
            activationTargetQueueSize: '0',
            tlsServerName: p.temporal.tls.serverName,
          },
          authenticationRef: { name: `${p.releaseName}-temporal` },
        },
      },
      [this.release, auth],
    );
  }
}
