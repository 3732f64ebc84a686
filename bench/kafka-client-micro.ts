/**
 * `npm run bench:client`: the Kafka client's cost per record, measured, so that client and codec
 * choices stay measured rather than assumed. On the running local stack, for each codec the
 * pipeline's producers may use: produce N SensorData-sized JSON records in sends of 1,000, then
 * consume them back with a JSON.parse each; prints CPU µs per record of the client and of the local
 * broker for each side (a codec moves work between them: the broker decompresses to validate).
 */
import { Kafka, type CompressionTypes } from 'kafkajs';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { endpoints, kafkaClientConfig, loadStackConfig } from '../local/config.js';
import { daemonPid } from '../local/lib/proc.js';
import { ensureTopics } from '../local/topics.js';
import { sampleTrees } from './proc-stats.js';
import { compressionType, PRODUCER_CODECS, type ProducerCodec } from '../workers/lib/kafka-codecs.js';
import { SENSOR_DATA_SCHEMA_VERSION, type SensorData } from '../workers/shared/events.js';
import { formatCount } from '../local/lib/format.js';

const SEND_SIZE = 1_000;

/** A reading as a device sends it: about 220 bytes of JSON, varied like a fleet's. */
function reading(seq: number): SensorData {
  const deviceId = `device-${String(seq % 1000).padStart(5, '0')}`;
  return {
    schemaVersion: SENSOR_DATA_SCHEMA_VERSION,
    eventId: `${deviceId}-${seq}-${randomUUID().slice(0, 8)}`,
    deviceId,
    timestamp: Date.now(),
    readings: {
      temperature: Math.round((20 + Math.random() * 10) * 100) / 100,
      humidity: Math.round(Math.random() * 10000) / 100,
      pressure: Math.round((1000 + Math.random() * 30) * 10) / 10,
      battery: Math.round(Math.random() * 100),
    },
    firmware: '2.4.1',
  };
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** The local broker's CPU so far, µs: a codec moves work between the client and the broker. */
function brokerMicros(): number {
  const pid = daemonPid('kafka');
  if (pid === undefined) return NaN;
  const tree = sampleTrees(new Map([['kafka', pid]])).trees.get('kafka');
  return tree ? tree.cpuSeconds * 1e6 : NaN;
}

async function produce(kafka: Kafka, topic: string, records: number, compression: CompressionTypes) {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const started = cpuMicros();
  for (let sent = 0; sent < records; sent += SEND_SIZE) {
    const messages = Array.from({ length: Math.min(SEND_SIZE, records - sent) }, (_, i) => {
      const event = reading(sent + i);
      return { key: event.deviceId, value: JSON.stringify(event) };
    });
    await producer.send({ topic, acks: -1, compression, messages });
  }
  const cpu = cpuMicros() - started;
  await producer.disconnect();
  return cpu;
}

async function consume(kafka: Kafka, topic: string, records: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `client-micro-${randomUUID()}`, maxBytesPerPartition: 4 << 20 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  let cpu = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachBatch: async ({ batch }) => {
          if (started === 0) started = cpuMicros();
          for (const m of batch.messages) JSON.parse(m.value!.toString());
          seen += batch.messages.length;
          if (seen >= records) {
            cpu = cpuMicros() - started;
            resolve();
          }
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return cpu;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' } } });
  const records = Number(values.records);
  if (!Number.isInteger(records) || records < SEND_SIZE)
    throw new Error(`--records ${values.records}: expected an integer >= ${SEND_SIZE}`);
  const ep = endpoints(loadStackConfig());
  const kafka = new Kafka(kafkaClientConfig(ep, 'bench-client-micro'));
  const admin = kafka.admin();
  await admin.connect();
  console.log(`kafkajs, ${formatCount(records)} records per codec, ${process.version}; CPU µs per record`);
  console.log('codec     produce   broker (append)   consume+parse   broker (fetch)');
  for (const codec of PRODUCER_CODECS as readonly ProducerCodec[]) {
    const topic = `bench.client-micro.${codec}.${randomUUID().slice(0, 8)}`;
    await ensureTopics(ep.kafkaBrokers, [{ topic, partitions: 1 }]);
    try {
      const brokerBefore = brokerMicros();
      const produceCpu = await produce(kafka, topic, records, compressionType(codec));
      const brokerProduce = brokerMicros() - brokerBefore;
      const consumeCpu = await consume(kafka, topic, records);
      const brokerAll = brokerMicros() - brokerBefore;
      const per = (micros: number, width: number) => (micros / records).toFixed(1).padStart(width);
      console.log(
        `${codec.padEnd(9)} ${per(produceCpu, 7)} ${per(brokerProduce, 16)} ${per(consumeCpu, 15)} ${per(brokerAll - brokerProduce, 16)}`,
      );
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    }
  }
  await admin.disconnect();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
