/**
 * The ceiling baseline: what kafkajs alone moves on this machine, with no Temporal and no Postgres.
 * Consumes the input topic, parses each record's JSON, produces it to the output topic and commits.
 */
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import '../../workers/lib/kafkajs-producer-grouping.js';
import { Kafka } from 'kafkajs';
import { kafkaClientConfig } from '../../local/config.js';
import { childSpec, fromParent, runChild, tellParent } from '../child.js';

export interface PassthroughSpec {
  readonly brokers: string[];
  readonly input: string;
  readonly output: string;
  readonly groupId: string;
  readonly partitions: number;
}

/** One send's record batch per partition must stay under the broker's 1 MB limit. */
const MAX_PER_SEND = 2_000;
/** How often the parent hears the counts and the drain's timestamps. */
const PROGRESS_MS = 100;

runChild(async () => {
  const spec = childSpec<PassthroughSpec>();
  const kafka = new Kafka(kafkaClientConfig({ kafkaBrokers: spec.brokers }, 'bench-ceiling'));
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({
    groupId: spec.groupId,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 4 << 20,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: spec.input, fromBeginning: true });
  let passed = 0;
  let malformed = 0;
  // The drain's own clock: from the first fetched record to the last send acknowledged. A fast
  // machine drains a small backlog within one of the parent's samples, so the parent takes the rate
  // from these timestamps, not from its sampling (ingest hardening, finding 2).
  let firstAtMs = 0;
  let lastAtMs = 0;
  await consumer.run({
    partitionsConsumedConcurrently: spec.partitions,
    eachBatch: async ({ batch }) => {
      if (firstAtMs === 0 && batch.messages.length > 0) firstAtMs = Date.now();
      const out: { key: Buffer | null; value: string; partition: number }[] = [];
      for (const m of batch.messages) {
        try {
          const event = JSON.parse(m.value?.toString() ?? '') as unknown;
          out.push({ key: m.key, value: JSON.stringify(event), partition: batch.partition });
        } catch {
          malformed++;
        }
      }
      for (let i = 0; i < out.length; i += MAX_PER_SEND)
        await producer.send({ topic: spec.output, acks: -1, messages: out.slice(i, i + MAX_PER_SEND) });
      passed += out.length;
      lastAtMs = Date.now();
    },
  });
  const ticker = setInterval(
    () => void tellParent({ type: 'progress', counts: { passed, malformed, firstAtMs, lastAtMs } }),
    PROGRESS_MS,
  );
  await tellParent({ type: 'ready' });
  await fromParent('stop');
  clearInterval(ticker);
  await consumer.disconnect();
  await producer.disconnect();
  return { passed, malformed, firstAtMs, lastAtMs };
});
