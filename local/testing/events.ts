/** Builders of SensorData records for tests and the history recorder (scripts/record-histories.ts). */
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage, Message } from 'kafkajs';
import { SENSOR_DATA_SCHEMA_VERSION, type Readings, type SensorData } from '../../workers/shared/events.js';

export function sensorData(
  deviceId: string,
  seq: number,
  overrides: Partial<Omit<SensorData, 'readings'>> & { readings?: Partial<Readings> } = {},
): SensorData {
  const { readings, ...rest } = overrides;
  return {
    schemaVersion: SENSOR_DATA_SCHEMA_VERSION,
    eventId: `${deviceId}-${seq}`,
    deviceId,
    timestamp: Date.now(),
    readings: { temperature: 21.5, humidity: 45, pressure: 1013, battery: 90, ...readings },
    ...rest,
  };
}

export function record(event: SensorData): Message {
  return { key: event.deviceId, value: JSON.stringify(event) };
}

export async function produce(kafka: Kafka, topic: string, messages: Message[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 1000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 1000) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** The first `count` records of `topic` in the order one consumer (its own group) receives them. */
export async function readMessages(kafka: Kafka, topic: string, count: number): Promise<KafkaMessage[]> {
  const consumer = kafka.consumer({ groupId: `read-${randomBytes(4).toString('hex')}` });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: KafkaMessage[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          eachMessage: async ({ message }) => {
            seen.push(message);
            if (seen.length === count) resolve();
          },
        })
        .catch(reject);
    });
    return seen;
  } finally {
    await consumer.disconnect();
  }
}
