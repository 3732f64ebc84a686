/**
 * Activities of the naive baseline, built on the pipeline's own: an event is a batch of one, so the
 * ledger, rollups and device state take the same SQL and the publish the same code path.
 */
import type { IngestedEvent } from '../../workers/shared/events.js';
import type { ActivityDeps } from '../../workers/activities/index.js';
import { createActivities } from '../../workers/activities/index.js';
import type { BatchRef } from '../../workers/activities/types.js';
import { rejectionReason } from '../../workers/workflows/reading-validation.js';

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

export function createNaiveActivities(deps: ActivityDeps): NaiveActivities {
  const real = createActivities(deps);
  return {
    validateEvent: async (event) =>
      rejectionReason(event, { now: Date.now(), maxEventAgeMs: 7 * 24 * 3600_000, maxClockSkewMs: 300_000 }),
    applyEventEffects: async (ref) => {
      await real.applyBatchEffects({
        ...batchOfOne(ref),
        events: [ref.event],
        inBatchDuplicates: 0,
        rejected: 0,
        deadLettered: 0,
      });
    },
    publishEvent: async (ref) => {
      await real.publishProcessed(batchOfOne(ref));
    },
  };
}
