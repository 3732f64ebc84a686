/**
 * Builds dead-letter and parking records: the original bytes (base64) with the reason, so nothing is
 * lost and `npm run redrive` can replay them. The idempotency key is the source position.
 * Every record is bounded (docs/decisions/0005-dead-letter-format.md): a hostile 1 MB value or key
 * is kept as a prefix with its length and SHA-256, never copied whole.
 */
import { createHash } from 'node:crypto';
import type { Message } from 'kafkajs';
import { MAX_EVENT_BYTES } from '../shared/event-validation.js';
import type { DeadLetterEnvelope, DeadLetterKind } from '../shared/events.js';
import { HEADERS } from '../shared/topics.js';

export interface SourceRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** Kept whole up to here: a longer value can never be a valid event, so a re-drive cannot need it. */
export const MAX_DEAD_LETTER_VALUE_BYTES = MAX_EVENT_BYTES;
/** A valid key is a deviceId of at most 128 ASCII characters. */
export const MAX_DEAD_LETTER_KEY_BYTES = 1024;
/** Header values are truncated: a hostile reason must not blow the record size. */
const MAX_REASON = 512;
/**
 * Upper bound of one dead-letter record's key + value + headers, whatever the input (the tests assert
 * it): base64 value 21.8 KB, key 1 KB twice, reason twice at most 3 KB each, names and positions.
 */
export const MAX_DEAD_LETTER_RECORD_BYTES = 32 * 1024;
/**
 * Bytes per producer send. kafkajs puts a send's messages for one partition into one record batch,
 * which the broker rejects above message.max.bytes (1 MB by default); half of that leaves room.
 */
export const DEAD_LETTER_SEND_BYTES = 512 * 1024;
const DEAD_LETTER_SEND_COUNT = 500;

/** What a truncated key or value was: its full length and digest, to find and check the original. */
export interface TruncatedBytes {
  readonly bytes: number;
  readonly sha256: string;
}

/**
 * The dead-letter value. When `truncated` names the key or the value, `key`/`valueBase64` hold its
 * first MAX_DEAD_LETTER_*_BYTES; the whole record stays at `source` for the topic's retention.
 */
export interface BoundedDeadLetterEnvelope extends DeadLetterEnvelope {
  readonly truncated?: { readonly key?: TruncatedBytes; readonly value?: TruncatedBytes };
}

function bounded(bytes: Buffer, max: number): { kept: Buffer; truncated?: TruncatedBytes } {
  if (bytes.length <= max) return { kept: bytes };
  return {
    kept: bytes.subarray(0, max),
    truncated: { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') },
  };
}

/** Cuts at a code-point boundary, so a truncated reason is never left with half a surrogate pair. */
function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return text.slice(0, end);
}

export function deadLetterMessage(
  record: SourceRecord,
  kind: DeadLetterKind,
  reason: string,
  now = Date.now(),
  original?: DeadLetterEnvelope['original'],
): Message {
  const key = record.key ? bounded(record.key, MAX_DEAD_LETTER_KEY_BYTES) : undefined;
  const value = record.value ? bounded(record.value, MAX_DEAD_LETTER_VALUE_BYTES) : undefined;
  const anyTruncated = key?.truncated ?? value?.truncated;
  const shortReason = clip(reason, MAX_REASON);
  const envelope: BoundedDeadLetterEnvelope = {
    kind,
    reason: shortReason,
    source: { topic: record.topic, partition: record.partition, offset: record.offset },
    key: key ? key.kept.toString('base64') : null,
    valueBase64: value ? value.kept.toString('base64') : '',
    deadLetteredAt: now,
    ...(original ? { original } : {}),
    ...(anyTruncated ? { truncated: { key: key?.truncated, value: value?.truncated } } : {}),
  };
  return {
    // The original key (or its prefix) keeps one device's dead letters on one partition, in order.
    key: key ? key.kept : null,
    value: JSON.stringify(envelope),
    headers: {
      [HEADERS.idempotencyKey]: `${record.topic}/${record.partition}/${record.offset}`,
      [HEADERS.eventType]: 'DeadLetter',
      [HEADERS.dlqReason]: `${kind}: ${shortReason}`,
      [HEADERS.dlqSourceTopic]: record.topic,
      [HEADERS.dlqSourcePartition]: String(record.partition),
      [HEADERS.dlqSourceOffset]: record.offset,
    },
  };
}

function size(data: Buffer | string | null | undefined): number {
  if (data === null || data === undefined) return 0;
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

/** Bytes a message puts on the wire, give or take the record's framing. */
export function messageBytes(m: Message): number {
  let bytes = size(m.key) + size(m.value as Buffer | string | null);
  for (const [name, value] of Object.entries(m.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : [value]) bytes += Buffer.byteLength(name) + size(v);
  }
  return bytes;
}

/** Splits messages into sends that each stay within DEAD_LETTER_SEND_BYTES (and a count). */
export function chunkForSend(
  messages: readonly Message[],
  maxBytes = DEAD_LETTER_SEND_BYTES,
  maxCount = DEAD_LETTER_SEND_COUNT,
): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const b = messageBytes(m);
    if (current.length > 0 && (bytes + b > maxBytes || current.length >= maxCount)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += b;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
