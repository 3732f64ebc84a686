/**
 * Worker Deployment Versioning (docs/decisions/0012-worker-versioning.md): with WORKER_DEPLOYMENT_NAME
 * and WORKER_BUILD_ID set, the worker polls as that version, and Temporal sends a pinned workflow's
 * tasks only to the version that started it. Unset (local, tests): unversioned, as before.
 */
import type { Client } from '@temporalio/client';
import type { WorkerDeploymentVersion } from '@temporalio/common';
import type { WorkerOptions } from '@temporalio/worker';
import type { WorkerConfig } from '../config.js';

/** The worker's deployment version, or undefined when it runs unversioned. */
export function deploymentVersion(
  config: Pick<WorkerConfig, 'deploymentName' | 'buildId'>,
): WorkerDeploymentVersion | undefined {
  const { deploymentName, buildId } = config;
  if (deploymentName === undefined && buildId === undefined) return undefined;
  if (deploymentName === undefined || buildId === undefined)
    throw new Error(
      `WORKER_DEPLOYMENT_NAME (${deploymentName ?? 'unset'}) and WORKER_BUILD_ID (${buildId ?? 'unset'}) ` +
        'must be set together: a versioned worker needs both, an unversioned one neither',
    );
  return { deploymentName, buildId };
}

/**
 * The options for `Worker.create`. Batches and prunes name AUTO_UPGRADE themselves; the alert workflow
 * takes the worker's default, WORKER_ALERT_VERSIONING: PINNED only where the old build's workers stay
 * up until its alerts end, since a pinned workflow waits for its build's workers.
 */
export function versioningOptions(
  config: Pick<WorkerConfig, 'deploymentName' | 'buildId' | 'alertVersioning'>,
): Pick<WorkerOptions, 'workerDeploymentOptions'> {
  const version = deploymentVersion(config);
  if (!version) return {};
  return {
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version,
      // Only the alert workflow leaves its behaviour to the worker (workflows/index.ts).
      defaultVersioningBehavior: config.alertVersioning,
    },
  };
}

export interface SetCurrentOptions {
  /** How long to wait for the version's workers to poll every task queue, ms. */
  readonly waitMs: number;
  readonly identity?: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Makes `version` its deployment's current version: new workflows, and auto-upgrade ones at their next
 * task, go to it; pinned workflows stay where they started. The server refuses a version whose workers
 * have not yet polled every task queue the deployment had, so this retries until they have (or waitMs).
 */
export async function setCurrentVersion(
  client: Client,
  version: WorkerDeploymentVersion,
  options: SetCurrentOptions,
): Promise<{ previousBuildId: string | undefined }> {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + options.waitMs;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await client.workflowService.setWorkerDeploymentCurrentVersion({
        namespace: client.options.namespace,
        deploymentName: version.deploymentName,
        buildId: version.buildId,
        identity: options.identity ?? 'worker-set-current',
      });
      return { previousBuildId: res.previousDeploymentVersion?.buildId || undefined };
    } catch (err) {
      // NotFound: no worker of the deployment has polled yet; FailedPrecondition: this version's
      // workers have not polled every task queue yet. Both clear once its pods are up.
      const code = (err as { code?: number }).code;
      const retryable = code === 5 || code === 9;
      if (!retryable || Date.now() >= deadline) throw err;
      await sleep(Math.min(5000, 250 * 2 ** attempt));
    }
  }
}
