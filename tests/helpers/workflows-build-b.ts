/**
 * The workflows of a "build B" whose alert workflow is incompatible with the real one: it sleeps
 * before anything else, so replaying a history recorded by the real code fails with a
 * non-determinism error. Everything else is the real code. Used by worker-versioning.test.ts.
 */
import { setWorkflowOptions, sleep, workflowInfo } from '@temporalio/workflow';
import { deviceAlert as deviceAlertA } from '../../workers/workflows/index.js';

export { processSensorBatch, pruneLedger } from '../../workers/workflows/index.js';

export async function deviceAlert(...args: Parameters<typeof deviceAlertA>): ReturnType<typeof deviceAlertA> {
  await sleep(1);
  return deviceAlertA(...args);
}
// As workers/workflows/index.ts: pinned when versioned, nothing named when not.
setWorkflowOptions(
  () => (workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior: 'PINNED' } : {}),
  deviceAlert,
);
