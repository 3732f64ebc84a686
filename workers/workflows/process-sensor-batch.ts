/**
 * One workflow per Kafka offset range (ID = batch:<topic>:<partition>:<firstOffset>). Temporal is the
 * control plane here: the workflow holds the range and its claim (record count, first and last
 * record's fingerprint), never the records (claim check, decision 0008). One local activity reads the
 * range from Kafka, validates, dead-letters, applies the effects and publishes; a second sends the
 * alert signals it planned. A batch of thousands of events is a history of about ten events.
 */
import { patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { SensorActivities } from '../shared/activity-contract.js';
import { PERMANENT_FAILURE } from '../shared/activity-contract.js';
import type { ProcessSensorBatchInput, ProcessSensorBatchResult } from '../shared/temporal.js';

/**
 * Transient failures (database, broker or Kafka read down) retry with backoff, without limit: never
 * drop. At most 5 s apart: with 30 s a 60 s Postgres outage at 18,000 events/s left the workers idle
 * for up to 30 s after Postgres was back, with a million records waiting (chaos run).
 */
const effects = proxyLocalActivities<SensorActivities>({
  startToCloseTimeout: '120s',
  localRetryThreshold: '10s',
  retry: {
    initialInterval: '500ms',
    backoffCoefficient: 2,
    maximumInterval: '5s',
    nonRetryableErrorTypes: [PERMANENT_FAILURE],
  },
});

/**
 * Alert signals per local activity call. An alert storm (every device of a batch breaching) is up to
 * 20,000 signals: sent in one call, a timeout started them all over again and the batch never ended
 * (docs/reliability.md, "Alert storm"). Chunk by chunk, each completed call is a marker in history, a
 * retry repeats one chunk, and 20,000 signals add 40 markers. Batches with fewer signals than this run
 * one call without the patch marker, as before.
 */
export const ALERT_SIGNAL_CHUNK = 500;
export const ALERT_SIGNAL_CHUNKS_PATCH = 'alert-signals-in-chunks';

export async function processSensorBatch(input: ProcessSensorBatchInput): Promise<ProcessSensorBatchResult> {
  const info = workflowInfo();
  const outcome = await effects.processRange({
    batchId: info.workflowId,
    runId: info.runId,
    range: input.range,
    claim: input.claim,
    rules: input.rules,
    now: Date.now(),
    maxEventAgeMs: input.maxEventAgeMs,
    maxClockSkewMs: input.maxClockSkewMs,
  });
  const { signals } = outcome;
  if (signals.length > ALERT_SIGNAL_CHUNK && patched(ALERT_SIGNAL_CHUNKS_PATCH)) {
    for (let i = 0; i < signals.length; i += ALERT_SIGNAL_CHUNK)
      await effects.signalAlerts(signals.slice(i, i + ALERT_SIGNAL_CHUNK));
  } else if (signals.length > 0) await effects.signalAlerts(signals);
  return {
    applied: outcome.applied,
    duplicates: outcome.duplicates,
    rejected: outcome.rejected,
    deadLettered: outcome.deadLettered,
    alertSignals: outcome.signals.length,
    ...(outcome.parked ? { parked: outcome.parked } : {}),
  };
}
