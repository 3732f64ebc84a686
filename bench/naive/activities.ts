/**
 * Activities of the naive baseline, built on the pipeline's own: an event is a batch of one, so the
 * ledger, rollups and device state take the same SQL and the publish the same code path.
 */
import type { IngestedEvent } from '../../workers/shared/events.js';
import { applyBatchEffects } from '../../workers/activities/batch-effects.js';
import type { ActivityDeps } from '../../workers/activities/index.js';
import { publishProcessed } from '../../workers/activities/publish-processed.js';
import type { BatchRef } from '../../workers/shared/activity-contract.js';
import { rejectionReason } from '../../workers/activities/reading-validation.js';

export interface EventRef {
  readonly workflowId: string;
  readonly runId: string;
  readonly event: IngestedEvent;
}

export interface NaiveActivities {
  /** The rejection reason, or undefined for a valid event. */
  validateEvent(event: IngestedEvent): Promise<string | undefined>;
  /** Ledger, rollups and device state of one event (one transaction). */
  applyEventEffects(ref: EventRef): Promise<void>;
  /** SensorDataProcessed for the event (idempotency-key = eventId). */
  publishEvent(ref: EventRef): Promise<void>;
}

function batchOfOne({ workflowId, runId, event }: EventRef): BatchRef {
  return {
    batchId: workflowId,
    runId,
    range: {
      topic: 'naive',
      partition: event.source.partition,
      firstOffset: event.source.offset,
      lastOffset: event.source.offset,
    },
  };
}

export function createNaiveActivities(
  deps: Pick<ActivityDeps, 'pool' | 'producer' | 'topics' | 'processedPartitions'>,
): NaiveActivities {
  const publishDeps = { ...deps, processedTopic: deps.topics.processed };
  return {
    validateEvent: async (event) =>
      rejectionReason(event, { now: Date.now(), maxEventAgeMs: 7 * 24 * 3600_000, maxClockSkewMs: 300_000 }),
    applyEventEffects: async (ref) => {
      await applyBatchEffects(deps.pool, {
        ...batchOfOne(ref),
        events: [ref.event],
        inBatchDuplicates: 0,
        rejected: 0,
        deadLettered: 0,
      });
    },
    publishEvent: async (ref) => {
      // Its own step, as one-workflow-per-event designs have it: what was committed is read back.
      const { rows } = await deps.pool.query<{ ms: string }>(
        'SELECT (extract(epoch FROM applied_at) * 1000)::bigint AS ms FROM batches WHERE batch_id = $1',
        [ref.workflowId],
      );
      await publishProcessed(publishDeps, batchOfOne(ref), [ref.event], Number(rows[0]?.ms ?? Date.now()));
    },
  };
}
