/**
 * The "Temporal alone" baseline: one workflow per sensor event, each step an ordinary activity (a
 * task round trip and history events per step). Bundled apart from the pipeline's workflows. Bench
 * code only; it exists to show what batching saves.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { IngestedEvent } from '../../workers/shared/events.js';
import type { NaiveActivities } from './activities.js';

const steps = proxyActivities<NaiveActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '10s' },
});

export async function processOneEvent(event: IngestedEvent): Promise<boolean> {
  const { workflowId, runId } = workflowInfo();
  const reason = await steps.validateEvent(event);
  if (reason !== undefined) return false;
  await steps.applyEventEffects({ workflowId, runId, event });
  await steps.publishEvent({ workflowId, runId, event });
  return true;
}
