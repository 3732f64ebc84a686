/** Workflow entry point for the worker's bundle: every workflow type registered on the task queue. */
import type { VersioningBehavior } from '@temporalio/common';
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import { processSensorBatch } from './process-sensor-batch.js';
import { deviceAlert } from './device-alert.js';
import { pruneLedger } from './prune-ledger.js';

// How each type meets a new build when the worker is versioned (docs/decisions/0012-worker-versioning.md).
// Batches and prunes last seconds to minutes: they move to the current build at their next task, so
// the old build drains fast. An alert lives hours to days: it takes the worker's default
// (WORKER_ALERT_VERSIONING), PINNED to stay on the build that started it where that build's workers
// are kept until its alerts end, AUTO_UPGRADE (patched() discipline, the replay test) where they are not.
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), processSensorBatch);
setWorkflowOptions(whenVersioned('AUTO_UPGRADE'), pruneLedger);

/**
 * An unversioned worker (local, tests) fails every task that names a behaviour: name none there. Its
 * tasks carry a version too (the bundle's build ID) but no deployment name.
 */
function whenVersioned(versioningBehavior: VersioningBehavior) {
  return () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {});
}

export { processSensorBatch, deviceAlert, pruneLedger };
