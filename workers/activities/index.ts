/**
 * createActivities(deps): every activity of the pipeline, bound to the clients it needs. Tests pass
 * real clients pointed at the local servers; the worker passes the production ones.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { Message, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { EscalationPolicy } from '../shared/alert-rules.js';
import { HEADERS } from '../shared/topics.js';
import { chunkForSend, deadLetterMessage } from '../lib/dead-letter.js';
import { recordAlertTransition, signalAlerts } from './alerts.js';
import { applyBatchEffects, revertBatchEffects } from './batch-effects.js';
import { pruneLedgerChunk } from './ledger-retention.js';
import { publishProcessed } from './publish-processed.js';
import { PERMANENT_FAILURE, type SensorActivities } from './types.js';

export interface ActivityTopics {
  readonly processed: string;
  readonly alerts: string;
  readonly deadLetter: string;
  readonly parking: string;
}

export interface ActivityDeps {
  readonly pool: Pool;
  readonly producer: Producer;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly topics: ActivityTopics;
  readonly escalation: EscalationPolicy;
  /** Partition count of the processed topic (cached by the caller). */
  readonly processedPartitions: () => Promise<number>;
  readonly observeLatency?: (seconds: number) => void;
}

/** Postgres error classes that no retry can fix: the data, not the moment, is wrong. */
const PERMANENT_SQLSTATE_CLASSES = ['22', '23', '42'];

function classify(err: unknown): never {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && PERMANENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) {
    throw ApplicationFailure.nonRetryable(`${(err as Error).message} (SQLSTATE ${code})`, PERMANENT_FAILURE);
  }
  const kafkaType = (err as { type?: unknown }).type;
  if (
    kafkaType === 'MESSAGE_TOO_LARGE' ||
    kafkaType === 'TOPIC_AUTHORIZATION_FAILED' ||
    kafkaType === 'INVALID_RECORD'
  ) {
    throw ApplicationFailure.nonRetryable(`${(err as Error).message} (${kafkaType})`, PERMANENT_FAILURE);
  }
  throw err;
}

async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    return classify(err);
  }
}

export function createActivities(deps: ActivityDeps): SensorActivities {
  const alertDeps = { ...deps, alertsTopic: deps.topics.alerts };
  return {
    applyBatchEffects: (input) => guarded(() => applyBatchEffects(deps.pool, input)),
    publishProcessed: (ref) =>
      guarded(() =>
        publishProcessed(
          {
            pool: deps.pool,
            producer: deps.producer,
            processedTopic: deps.topics.processed,
            processedPartitions: deps.processedPartitions,
            observeLatency: deps.observeLatency,
          },
          ref,
        ),
      ),
    revertBatchEffects: (ref) => revertBatchEffects(deps.pool, ref),
    deadLetterRejected: async ({ ref, rejected }) => {
      await sendChunked(
        deps.producer,
        deps.topics.deadLetter,
        rejected.map(({ event, reason }) =>
          deadLetterMessage(
            {
              topic: ref.range.topic,
              partition: event.source.partition,
              offset: event.source.offset,
              key: Buffer.from(event.deviceId),
              value: Buffer.from(JSON.stringify({ ...event, source: undefined })),
            },
            'invalid-reading',
            reason,
          ),
        ),
      );
    },
    parkEvents: async ({ batchId, range, events, reason, step }) => {
      await sendChunked(
        deps.producer,
        deps.topics.parking,
        events.map((event) => ({
          key: event.deviceId,
          value: JSON.stringify(event),
          headers: {
            [HEADERS.idempotencyKey]: event.eventId,
            [HEADERS.parkingReason]: `${step}: ${reason}`.slice(0, 512),
            [HEADERS.workflowId]: batchId,
            [HEADERS.dlqSourceTopic]: range.topic,
            [HEADERS.dlqSourcePartition]: String(event.source.partition),
            [HEADERS.dlqSourceOffset]: event.source.offset,
          },
        })),
      );
    },
    signalAlerts: (signals) => signalAlerts(alertDeps, signals),
    pruneLedgerChunk: (input) => pruneLedgerChunk(deps.pool, input),
    recordAlertTransition: (input) => recordAlertTransition(alertDeps, input),
  };
}

/**
 * A whole batch of dead letters or parked events can pass the broker's 1 MB record-batch limit, and
 * MESSAGE_TOO_LARGE would be retried forever: send byte-bounded chunks (a retry may repeat some;
 * both topics carry the source position, so a re-drive dedups them).
 */
async function sendChunked(producer: Producer, topic: string, messages: Message[]): Promise<void> {
  for (const chunk of chunkForSend(messages)) await producer.send({ topic, acks: -1, messages: chunk });
}
