/**
 * One workflow per Kafka offset range (ID = batch:<topic>:<partition>:<firstOffset>). Validation and
 * threshold evaluation are workflow code; effects are local activities, each idempotent, so the
 * history of a batch of hundreds of events is a handful of events (see docs/decisions/0003).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  proxyLocalActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { ApplyBatchResult, BatchRef, SensorActivities } from '../activities/types.js';
import { PERMANENT_FAILURE } from '../activities/types.js';
import type { ProcessSensorBatchInput, ProcessSensorBatchResult } from '../shared/temporal.js';
import { planAlertSignals } from './alert-planning.js';
import { validateBatch } from './reading-validation.js';

/** Transient failures (database or broker down) retry with backoff, without limit: never drop. */
const effects = proxyLocalActivities<SensorActivities>({
  startToCloseTimeout: '60s',
  localRetryThreshold: '10s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '30s',
    nonRetryableErrorTypes: [PERMANENT_FAILURE],
  },
});

/** A failure that retrying cannot fix, whether the SDK hands it over wrapped in ActivityFailure or not. */
function permanentFailure(err: unknown): ApplicationFailure | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  return failure instanceof ApplicationFailure && failure.type === PERMANENT_FAILURE ? failure : undefined;
}

export async function processSensorBatch(input: ProcessSensorBatchInput): Promise<ProcessSensorBatchResult> {
  const info = workflowInfo();
  const ref: BatchRef = { batchId: info.workflowId, runId: info.runId, range: input.range };
  const { valid, rejected, inBatchDuplicates } = validateBatch(input.events, {
    now: Date.now(),
    maxEventAgeMs: input.maxEventAgeMs,
    maxClockSkewMs: input.maxClockSkewMs,
  });
  if (rejected.length > 0) await effects.deadLetterRejected({ ref, rejected });

  let applied: ApplyBatchResult;
  try {
    applied = await effects.applyBatchEffects({
      ...ref,
      events: valid,
      inBatchDuplicates,
      rejected: rejected.length,
      deadLettered: input.deadLettered,
    });
  } catch (err) {
    const permanent = permanentFailure(err);
    if (!permanent) throw err;
    // The transaction rolled back: nothing to compensate, the events wait in the parking topic.
    await effects.parkEvents({
      ...ref,
      events: valid,
      step: 'applyBatchEffects',
      reason: permanent.message,
    });
    return { applied: 0, duplicates: 0, rejected: rejected.length, alertSignals: 0 };
  }

  const duplicates = new Set(applied.duplicateEventIds);
  const signals = planAlertSignals(
    valid.filter((e) => !duplicates.has(e.eventId)),
    input.rules,
    applied.openAlerts,
  );
  if (signals.length > 0) await effects.signalAlerts(signals);

  try {
    await effects.publishProcessed(ref);
  } catch (err) {
    const permanent = permanentFailure(err);
    if (!permanent) throw err;
    // Compensate so that a re-drive from the parking topic applies the events exactly once.
    await effects.revertBatchEffects(ref);
    await effects.parkEvents({
      ...ref,
      events: valid,
      step: 'publishProcessed',
      reason: permanent.message,
    });
    return {
      applied: 0,
      duplicates: duplicates.size + inBatchDuplicates,
      rejected: rejected.length,
      alertSignals: signals.length,
    };
  }
  return {
    applied: applied.applied,
    duplicates: duplicates.size + inBatchDuplicates,
    rejected: rejected.length,
    alertSignals: signals.length,
  };
}
