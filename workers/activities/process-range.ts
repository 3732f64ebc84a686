/**
 * The data plane of one batch workflow (claim check, decision 0008), as one local activity:
 *   1. read the range from Kafka and check it is what the bridge claimed (claim-check.ts); a range
 *      that expired or changed is parked with its reason, never skipped;
 *   2. parse and validate each record; undecodable, malformed and out-of-range ones go to the
 *      dead-letter topic with their reason;
 *   3. apply the effects in one Postgres statement (batch-effects.ts), idempotent by the ledger;
 *   4. publish SensorDataProcessed from memory (publish-processed.ts);
 *   5. plan the alert signals, which the workflow sends as its own step.
 * A permanent failure in 3 or 4 parks the events (after compensating 3), as the workflow did before.
 * Every step is safe to repeat: a retry re-reads the range, finds its own ledger rows, and repeats
 * dead letters and publishes that consumers drop by their idempotency keys.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Message, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { chunkForSend, deadLetterMessage } from '../lib/dead-letter.js';
import type { KafkaRangeReader, RangeRecord } from '../lib/kafka-range-reader.js';
import { parseParkedEvent, parseSensorData } from '../shared/event-validation.js';
import {
  eventKey,
  type DeadLetterEnvelope,
  type DeadLetterKind,
  type IngestedEvent,
} from '../shared/events.js';
import type { ParkReason } from '../shared/temporal.js';
import { HEADERS } from '../shared/topics.js';
import { planAlertSignals } from './alert-planning.js';
import { validateBatch } from './reading-validation.js';
import { applyBatchEffects, revertBatchEffects } from './batch-effects.js';
import { checkClaim } from './claim-check.js';
import { publishProcessed, type PublishDeps } from './publish-processed.js';
import {
  PERMANENT_FAILURE,
  type BatchRef,
  type ProcessRangeInput,
  type ProcessRangeResult,
} from '../shared/activity-contract.js';

export interface ProcessRangeDeps extends PublishDeps {
  readonly pool: Pool;
  readonly producer: Producer;
  readonly rangeReader: Pick<KafkaRangeReader, 'read'>;
  readonly deadLetterTopic: string;
  readonly parkingTopic: string;
  /** Errors that no retry fixes become this (activities/index.ts). */
  readonly permanent: (err: unknown) => never;
  readonly onDeadLettered?: (kind: string, count: number) => void;
  readonly onParked?: (reason: ParkReason, events: number) => void;
  /** Age of the range's first record when it was read, seconds. */
  readonly onRangeAge?: (seconds: number) => void;
  /** A device's exact re-sends, dropped with no effect (in the batch, or applied by another batch). */
  readonly onDuplicates?: (count: number) => void;
}

interface Parsed {
  readonly events: IngestedEvent[];
  readonly deadLetters: Message[];
}

/**
 * SensorData from sensor-data; from the parking topic (a re-drive), the parked event with the
 * position it had on sensor-data. The parking topic carries the pipeline's own headers, so the
 * header rule does not apply there.
 */
function parse(input: ProcessRangeInput, records: readonly RangeRecord[], parkingTopic: string): Parsed {
  const { topic, partition } = input.range;
  const events: IngestedEvent[] = [];
  const deadLetters: Message[] = [];
  const redrive = topic === parkingTopic;
  for (const r of records) {
    const source = { topic, partition, offset: r.offset, key: r.key, value: r.value };
    if (r.undecodable) {
      deadLetters.push(deadLetterMessage(source, 'undecodable-batch', r.undecodable));
      continue;
    }
    if (redrive) {
      // A parked range is a note for an operator (its records are gone), not an event.
      if (r.headers[HEADERS.eventType]?.toString() === 'ParkedRange') continue;
      const parked = parseParkedEvent(r.key, r.value);
      if (parked) events.push(parked);
      else
        deadLetters.push(deadLetterMessage(source, 'malformed-json', 'parked record is not a parked event'));
      continue;
    }
    const parsed = parseSensorData(r.key, r.value, r.headers);
    if (parsed.ok) events.push({ ...parsed.event, source: { partition, offset: r.offset } });
    else deadLetters.push(deadLetterMessage(source, parsed.kind, parsed.reason));
  }
  return { events, deadLetters };
}

async function send(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  for (const chunk of chunkForSend(messages)) await producer.send({ topic, acks: -1, messages: chunk });
}

/** The events of a batch that failed permanently, to the parking topic for `npm run redrive`. */
function parkedEvents(ref: BatchRef, events: readonly IngestedEvent[], reason: string): Message[] {
  return events.map((event) => ({
    key: event.deviceId,
    value: JSON.stringify(event),
    headers: {
      [HEADERS.idempotencyKey]: eventKey(event.deviceId, event.eventId),
      [HEADERS.parkingReason]: reason.slice(0, 512),
      [HEADERS.workflowId]: ref.batchId,
      [HEADERS.dlqSourceTopic]: ref.range.topic,
      [HEADERS.dlqSourcePartition]: String(event.source.partition),
      [HEADERS.dlqSourceOffset]: event.source.offset,
    },
  }));
}

/** A range that is no longer on the log as claimed: one parking record names it, for an operator. */
function parkedRange(ref: BatchRef, input: ProcessRangeInput, reason: ParkReason, detail: string): Message {
  return {
    key: `${ref.range.topic}/${ref.range.partition}/${ref.range.firstOffset}`,
    value: JSON.stringify({
      kind: 'ParkedRange',
      batchId: ref.batchId,
      range: ref.range,
      claim: input.claim,
      reason,
      detail,
    }),
    headers: {
      [HEADERS.idempotencyKey]: `${ref.batchId}:range`,
      [HEADERS.eventType]: 'ParkedRange',
      [HEADERS.parkingReason]: `${reason}: ${detail}`.slice(0, 512),
      [HEADERS.workflowId]: ref.batchId,
    },
  };
}

const nothing = { applied: 0, duplicates: 0, rejected: 0, deadLettered: 0, signals: [] as never[] };

function isPermanent(err: unknown): err is ApplicationFailure {
  return err instanceof ApplicationFailure && err.type === PERMANENT_FAILURE;
}

export async function processRange(
  deps: ProcessRangeDeps,
  input: ProcessRangeInput,
): Promise<ProcessRangeResult> {
  const ref: BatchRef = { batchId: input.batchId, runId: input.runId, range: input.range };
  const read = await deps.rangeReader.read(input.range);
  const problem = checkClaim(input.range, input.claim, read);
  if (problem) {
    await send(deps.producer, deps.parkingTopic, [parkedRange(ref, input, problem.reason, problem.detail)]);
    deps.onParked?.(problem.reason, input.claim.records);
    return { ...nothing, parked: problem.reason };
  }
  const firstTimestamp = Number(read.records[0]!.timestamp);
  if (Number.isFinite(firstTimestamp)) deps.onRangeAge?.((Date.now() - firstTimestamp) / 1000);

  const parsed = parse(input, read.records, deps.parkingTopic);
  const { valid, rejected, conflicts, inBatchDuplicates } = validateBatch(parsed.events, {
    now: input.now,
    maxEventAgeMs: input.maxEventAgeMs,
    maxClockSkewMs: input.maxClockSkewMs,
  });
  const origin = (e: IngestedEvent) => ({
    topic: input.range.topic,
    partition: e.source.partition,
    offset: e.source.offset,
    batchId: ref.batchId,
  });
  const deadLetters = [
    ...parsed.deadLetters,
    ...rejected.map(({ event, reason }) => eventDeadLetter(input, event, 'invalid-reading', reason)),
    ...conflicts.map(({ event, first }) =>
      eventDeadLetter(input, event, 'event-id-conflict', conflictReason(event, origin(first)), origin(first)),
    ),
  ];
  if (deadLetters.length > 0) {
    await send(deps.producer, deps.deadLetterTopic, deadLetters);
    deps.onDeadLettered?.('parse', parsed.deadLetters.length);
    deps.onDeadLettered?.('invalid-reading', rejected.length);
    deps.onDeadLettered?.('event-id-conflict', conflicts.length);
  }
  const deadLettered = parsed.deadLetters.length + conflicts.length;

  const park = async (step: 'apply-failed' | 'publish-failed', err: ApplicationFailure) => {
    await send(deps.producer, deps.parkingTopic, parkedEvents(ref, valid, `${step}: ${err.message}`));
    deps.onParked?.(step, valid.length);
  };
  let applied;
  try {
    applied = await applyBatchEffects(deps.pool, {
      ...ref,
      events: valid,
      inBatchDuplicates,
      rejected: rejected.length,
      deadLettered,
    }).catch(deps.permanent);
  } catch (err) {
    if (!isPermanent(err)) throw err;
    // The transaction rolled back: nothing to compensate, the events wait in the parking topic.
    await park('apply-failed', err);
    return { ...nothing, rejected: rejected.length, deadLettered, parked: 'apply-failed' };
  }
  // Committed: the refused and the conflicting events go to the dead-letter topic, each by its
  // offset; a retry finds the same ones and repeats the same records (same idempotency keys).
  const byKey = new Map(valid.map((e) => [eventKey(e.deviceId, e.eventId), e]));
  const notApplied = new Set<string>();
  const afterApply: Message[] = [];
  for (const r of applied.refused) {
    const key = eventKey(r.deviceId, r.eventId);
    notApplied.add(key);
    afterApply.push(eventDeadLetter(input, byKey.get(key)!, 'refused-by-database', r.reason));
  }
  let repeatedConflicts = 0;
  for (const r of applied.repeats) {
    const key = eventKey(r.deviceId, r.eventId);
    notApplied.add(key);
    if (!r.conflict) continue;
    repeatedConflicts++;
    const original = r.original && { ...r.original, topic: input.range.topic };
    afterApply.push(
      eventDeadLetter(
        input,
        byKey.get(key)!,
        'event-id-conflict',
        conflictReason(byKey.get(key)!, original),
        original,
      ),
    );
  }
  if (afterApply.length > 0) {
    await send(deps.producer, deps.deadLetterTopic, afterApply);
    deps.onDeadLettered?.('refused-by-database', applied.refused.length);
    deps.onDeadLettered?.('event-id-conflict', repeatedConflicts);
  }
  const fresh =
    notApplied.size === 0 ? valid : valid.filter((e) => !notApplied.has(eventKey(e.deviceId, e.eventId)));
  const duplicates = applied.repeats.length - repeatedConflicts + inBatchDuplicates;
  if (duplicates > 0) deps.onDuplicates?.(duplicates);
  const deadLetteredInAll = deadLettered + afterApply.length;
  try {
    await publishProcessed(deps, ref, fresh, applied.appliedAt).catch(deps.permanent);
  } catch (err) {
    if (!isPermanent(err)) throw err;
    // Compensate so that a re-drive from the parking topic applies the events exactly once.
    await revertBatchEffects(deps.pool, ref, valid);
    await park('publish-failed', err);
    return {
      ...nothing,
      duplicates,
      rejected: rejected.length,
      deadLettered: deadLetteredInAll,
      parked: 'publish-failed',
    };
  }
  return {
    applied: applied.applied,
    duplicates,
    rejected: rejected.length,
    deadLettered: deadLetteredInAll,
    signals: planAlertSignals(fresh, input.rules, applied.openAlerts),
  };
}

/** A valid reading's dead letter: the event as parsed, at its source offset. */
function eventDeadLetter(
  input: ProcessRangeInput,
  event: IngestedEvent,
  kind: DeadLetterKind,
  reason: string,
  original?: DeadLetterEnvelope['original'],
): Message {
  return deadLetterMessage(
    {
      topic: input.range.topic,
      partition: event.source.partition,
      offset: event.source.offset,
      key: Buffer.from(event.deviceId),
      value: Buffer.from(JSON.stringify({ ...event, source: undefined })),
    },
    kind,
    reason,
    Date.now(),
    original,
  );
}

function conflictReason(event: IngestedEvent, original: DeadLetterEnvelope['original'] | undefined): string {
  const where = original
    ? `${original.topic}/${original.partition}/${original.offset} (batch ${original.batchId})`
    : 'a batch that committed at the same moment';
  return `device ${event.deviceId} already used eventId ${event.eventId} for another reading, at ${where}`;
}
