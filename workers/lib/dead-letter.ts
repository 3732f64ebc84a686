/**
 * Builds dead-letter and parking records: the original bytes (base64) with the reason, so nothing is
 * lost and `npm run redrive` can replay them. The idempotency key is the source position.
 */
import type { Message } from 'kafkajs';
import type { DeadLetterEnvelope, DeadLetterKind } from '../shared/events.js';
import { HEADERS } from '../shared/topics.js';

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Header values are truncated: a hostile reason must not blow the record size. */
const MAX_REASON = 512;

export function deadLetterMessage(
  record: SourceRecord,
  kind: DeadLetterKind,
  reason: string,
  now = Date.now(),
): Message {
  const envelope: DeadLetterEnvelope = {
    kind,
    reason: reason.slice(0, MAX_REASON),
    source: { topic: record.topic, partition: record.partition, offset: record.offset },
    key: record.key ? record.key.toString('base64') : null,
    valueBase64: record.value ? record.value.toString('base64') : '',
    deadLetteredAt: now,
  };
  return {
    key: record.key,
    value: JSON.stringify(envelope),
    headers: {
      [HEADERS.idempotencyKey]: `${record.topic}/${record.partition}/${record.offset}`,
      [HEADERS.eventType]: 'DeadLetter',
      [HEADERS.dlqReason]: `${kind}: ${reason.slice(0, MAX_REASON)}`,
      [HEADERS.dlqSourceTopic]: record.topic,
      [HEADERS.dlqSourcePartition]: String(record.partition),
      [HEADERS.dlqSourceOffset]: record.offset,
    },
  };
}
