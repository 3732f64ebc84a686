/**
 * Domain validation of schema-valid readings: plausible physical ranges and timestamps. Pure and
 * deterministic (the clock is the workflow's), so a replay reaches the same verdicts.
 */
import { READING_LIMITS, type IngestedEvent, type ReadingName } from '../shared/events.js';

export interface RejectedEvent {
  readonly event: IngestedEvent;
  readonly reason: string;
}

export interface BatchValidation {
  /** Valid events, first occurrence of each eventId only. */
  readonly valid: IngestedEvent[];
  readonly rejected: RejectedEvent[];
  /** Repeats of an eventId inside this batch (no effect, counted as duplicates). */
  readonly inBatchDuplicates: number;
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

export function validateBatch(events: readonly IngestedEvent[], window: TimeWindow): BatchValidation {
  const seen = new Set<string>();
  const valid: IngestedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  let inBatchDuplicates = 0;
  for (const event of events) {
    if (seen.has(event.eventId)) {
      inBatchDuplicates++;
      continue;
    }
    seen.add(event.eventId);
    const reason = rejectionReason(event, window);
    if (reason) rejected.push({ event, reason });
    else valid.push(event);
  }
  return { valid, rejected, inBatchDuplicates };
}
