/**
 * One simulator producer as a process of its own, so the bench can measure its CPU apart from the
 * pipeline's and run several when one cannot keep up. Waits for 'go', produces, reports its counts.
 */
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import '../workers/lib/kafkajs-producer-grouping.js';
import { Kafka } from 'kafkajs';
import type { ProducerCodec } from '../workers/lib/kafka-codecs.js';
import { kafkaClientConfig } from '../local/config.js';
import { Fleet, type FleetOptions } from '../local/simulator/fleet.js';
import { produceFleet } from '../local/simulator/producer.js';
import { fromParent, childSpec, runChild, tellParent } from './child.js';

export interface SimulatorSpec {
  readonly brokers: string[];
  readonly topic: string;
  readonly fleet: FleetOptions;
  /** Events per second; null for as fast as possible. */
  readonly rate: number | null;
  readonly durationMs: number;
  readonly maxRecords?: number;
  readonly compression: ProducerCodec;
}

runChild(async () => {
  const spec = childSpec<SimulatorSpec>();
  const kafka = new Kafka(kafkaClientConfig({ kafkaBrokers: spec.brokers }, `bench-sim-${spec.fleet.runId}`));
  // Idempotent, one request in flight: the broker never sees a record twice from a producer retry,
  // so the exactly-once check counts only the device re-sends that the fleet makes on purpose.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const fleet = new Fleet(spec.fleet);
  let stop = false;
  void fromParent('stop').then(() => (stop = true));
  await tellParent({ type: 'ready' });
  await fromParent('go');
  const ticker = setInterval(() => void tellParent({ type: 'progress', counts: { ...fleet.counts } }), 1000);
  try {
    await produceFleet(producer, fleet, {
      topic: spec.topic,
      rate: spec.rate ?? Number.POSITIVE_INFINITY,
      durationMs: spec.durationMs,
      maxRecords: spec.maxRecords,
      compression: spec.compression,
      shouldStop: () => stop,
    });
  } finally {
    clearInterval(ticker);
    await producer.disconnect();
  }
  return { ...fleet.counts };
});
