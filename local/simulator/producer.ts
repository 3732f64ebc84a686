/** Drives a Fleet into Kafka at a target rate, in chunks that stay under the broker's size limit. */
import type { Producer } from 'kafkajs';
import { compressionType, type ProducerCodec } from '../../workers/lib/kafka-codecs.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet } from './fleet.js';

export interface ProduceOptions {
  readonly topic: string;
  /** Events per second; Infinity sends as fast as the broker acknowledges. */
  readonly rate: number;
  readonly durationMs: number;
  /** Stop after this many records (a backlog for a drain measurement). */
  readonly maxRecords?: number;
  /**
   * gzip is the one codec kafkajs consumers read without a registered codec (others stall them
   * silently); it trades producer and consumer CPU for a fraction of the broker's bytes.
   */
  /** Codec of the fleet's record batches (any Kafka codec: the pipeline reads them all). */
  readonly compression?: ProducerCodec;
  readonly shouldStop?: () => boolean;
}

/** kafkajs' one record batch per partition per send must stay under 1 MB. */
const MAX_PER_SEND = 2_000;
const TICK_MS = 100;

export async function produceFleet(producer: Producer, fleet: Fleet, opts: ProduceOptions): Promise<void> {
  const started = Date.now();
  const limit = opts.maxRecords ?? Number.POSITIVE_INFINITY;
  const compression = compressionType(opts.compression ?? 'none');
  let sent = 0;
  while (Date.now() - started < opts.durationMs && sent < limit && !opts.shouldStop?.()) {
    const due = Number.isFinite(opts.rate)
      ? Math.floor(((Date.now() - started) / 1000) * opts.rate) - sent
      : MAX_PER_SEND;
    if (due <= 0) {
      await sleep(TICK_MS);
      continue;
    }
    const count = Math.min(due, MAX_PER_SEND, limit - sent);
    await producer.send({ topic: opts.topic, acks: -1, compression, messages: fleet.next(count) });
    sent += count;
  }
}
