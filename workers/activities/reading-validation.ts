/**
 * Domain validation of schema-valid readings: plausible physical ranges and timestamps. Pure and
 * deterministic (the clock is the workflow's), so a replay reaches the same verdicts.
 */
import {
  eventKey,
  READING_LIMITS,
  READING_NAMES,
  type IngestedEvent,
  type ReadingName,
} from '../shared/events.js';

export interface RejectedEvent {
  readonly event: IngestedEvent;
  readonly reason: string;
}

/** A reading that reuses its device's eventId of an earlier record of the batch with another reading. */
export interface InBatchConflict {
  readonly event: IngestedEvent;
  /** The batch's first record with the same (deviceId, eventId). */
  readonly first: IngestedEvent;
}

export interface BatchValidation {
  /** Valid events, first occurrence of each (deviceId, eventId) only. */
  readonly valid: IngestedEvent[];
  /** Out of range or window (every such record, whatever its ids). */
  readonly rejected: RejectedEvent[];
  /** Same ids as an earlier record of the batch, another reading: dead-lettered, never dropped. */
  readonly conflicts: InBatchConflict[];
  /** Exact re-sends of a valid reading inside this batch (no effect, counted as duplicates). */
  readonly inBatchDuplicates: number;
}

/** A re-send is the same reading: same time and the same four values (firmware is metadata). */
export function sameReading(a: IngestedEvent, b: IngestedEvent): boolean {
  return a.timestamp === b.timestamp && READING_NAMES.every((n) => a.readings[n] === b.readings[n]);
}

export interface TimeWindow {
  readonly now: number;
  readonly maxEventAgeMs: number;
  readonly maxClockSkewMs: number;
}

export function rejectionReason(event: IngestedEvent, window: TimeWindow): string | undefined {
  for (const [name, [min, max]] of Object.entries(READING_LIMITS) as [
    ReadingName,
    readonly [number, number],
  ][]) {
    const value = event.readings[name];
    if (value < min || value > max)
      return `readings.${name} = ${value} outside the sensor range [${min}, ${max}]`;
  }
  if (event.timestamp > window.now + window.maxClockSkewMs) {
    return `timestamp ${event.timestamp} is ${event.timestamp - window.now} ms in the future (limit ${window.maxClockSkewMs} ms)`;
  }
  if (event.timestamp < window.now - window.maxEventAgeMs) {
    return `timestamp ${event.timestamp} is older than ${window.maxEventAgeMs} ms`;
  }
  return undefined;
}

/**
 * The first valid reading under a (deviceId, eventId) takes the ids, as the ledger does across
 * batches; a rejected reading takes nothing (it has no effect anywhere). After it, the same reading
 * again is a re-send, another reading is a conflict.
 */
export function validateBatch(events: readonly IngestedEvent[], window: TimeWindow): BatchValidation {
  const taken = new Map<string, IngestedEvent>();
  const valid: IngestedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  const conflicts: InBatchConflict[] = [];
  let inBatchDuplicates = 0;
  for (const event of events) {
    const reason = rejectionReason(event, window);
    if (reason) {
      rejected.push({ event, reason });
      continue;
    }
    const key = eventKey(event.deviceId, event.eventId);
    const first = taken.get(key);
    if (!first) {
      taken.set(key, event);
      valid.push(event);
    } else if (sameReading(first, event)) inBatchDuplicates++;
    else conflicts.push({ event, first });
  }
  return { valid, rejected, conflicts, inBatchDuplicates };
}
