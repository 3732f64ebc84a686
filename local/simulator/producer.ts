/** Drives a Fleet into Kafka at a target rate, in chunks that stay under the broker's size limit. */
import type { Producer } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Fleet } from './fleet.js';

export interface ProduceOptions {
  readonly topic: string;
  /** Events per second. */
  readonly rate: number;
  readonly durationMs: number;
  readonly shouldStop?: () => boolean;
}

/** kafkajs' one record batch per partition per send must stay under 1 MB. */
const MAX_PER_SEND = 2_000;
const TICK_MS = 100;

export async function produceFleet(producer: Producer, fleet: Fleet, opts: ProduceOptions): Promise<void> {
  const started = Date.now();
  let sent = 0;
  while (Date.now() - started < opts.durationMs && !opts.shouldStop?.()) {
    const due = Math.floor(((Date.now() - started) / 1000) * opts.rate) - sent;
    if (due <= 0) {
      await sleep(TICK_MS);
      continue;
    }
    const count = Math.min(due, MAX_PER_SEND);
    await producer.send({ topic: opts.topic, acks: -1, messages: fleet.next(count) });
    sent += count;
  }
}
