/** kafkajs client construction from validated settings (SASL/SCRAM and TLS when configured). */
// Before kafkajs: it binds its producers' grouping when it loads (kafkajs-producer-grouping.ts).
import './kafkajs-producer-grouping.js';
import {
  Kafka,
  logLevel,
  Partitioners,
  type CompressionTypes,
  type KafkaConfig,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import type { KafkaSettings } from '../config.js';
import { readCredentialFile } from './credential-file.js';
import { compressionType, registerKafkaCodecs, setMaxDecompressedBatchBytes } from './kafka-codecs.js';
import { installKafkajsDecoders, setFetchDecodeBytes, type DecoderInstall } from './kafkajs-decoders.js';
import type { MemoryBudget } from './memory-budget.js';
import { producerGrouping, type GroupingInstall } from './kafkajs-producer-grouping.js';
import { installRecordEncoder, type RecordEncoderInstall } from './kafkajs-record-encoder.js';
import { installRequestQueueSchedule } from './kafkajs-request-queue.js';
import type { Logger } from './logger.js';

/**
 * Makes this process's kafkajs read whatever a Kafka producer writes: every codec, undecodable
 * batches as dead-letter placeholders, headers in linear time; and write records without a buffer
 * per field. Call before the first fetch and send (every client constructor here does); idempotent.
 * Also says whether producers group in linear time.
 */
export function hardenKafkajs(): {
  decoders: DecoderInstall;
  grouping: GroupingInstall;
  records: RecordEncoderInstall;
} {
  registerKafkaCodecs();
  installRequestQueueSchedule();
  return {
    decoders: installKafkajsDecoders(),
    grouping: producerGrouping(),
    records: installRecordEncoder(),
  };
}

/** Bounds this process's decoding by its memory budget: one batch's decoded size, one fetch's. */
export function applyDecodeBudget(memory: MemoryBudget): void {
  setMaxDecompressedBatchBytes(memory.maxBatchBytes);
  setFetchDecodeBytes(memory.fetchDecodeBytes);
}

export function createKafka(settings: KafkaSettings, log: Logger): Kafka {
  const { decoders, grouping, records } = hardenKafkajs();
  if (decoders !== 'installed')
    log.warn('kafkajs decoders not replaced: an undecodable batch or many headers can stall consumers', {
      decoders,
    });
  if (grouping !== 'installed')
    log.warn('kafkajs producer grouping not replaced: large sends cost quadratic CPU', { grouping });
  if (records !== 'installed')
    log.warn('kafkajs record encoder not replaced: each record costs three buffer allocations', { records });
  return new PipelineKafka(kafkaConfig(settings, log), compressionType(settings.compression));
}

/**
 * A Kafka client whose producers compress with the configured codec unless a send names its own,
 * partition by murmur2 of the key as Kafka's Java producer does (kafkajs's default, named so that it
 * does not warn), and, when idempotent, retry without limit: a limited retry count could write a
 * record twice, which is what kafkajs's "Limiting retries ... may invalidate EoS" warning is about.
 * A broker outage then holds the send until the broker is back, which is what the callers want
 * (they never drop; the bridge keeps heartbeating meanwhile).
 */
class PipelineKafka extends Kafka {
  constructor(
    config: KafkaConfig,
    private readonly compression: CompressionTypes,
  ) {
    super(config);
  }

  override producer(config: ProducerConfig = {}): Producer {
    const producer = super.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      ...config,
      ...(config.idempotent ? { retry: { ...config.retry, retries: Number.MAX_SAFE_INTEGER } } : {}),
    });
    const { send, sendBatch } = producer;
    const compression = this.compression;
    producer.send = (record) => send({ compression, ...record });
    producer.sendBatch = (batch) => sendBatch({ compression, ...batch });
    return producer;
  }
}

/** The kafkajs configuration createKafka uses (exported so tests can shorten its retries). */
export function kafkaConfig(settings: KafkaSettings, log: Logger): KafkaConfig {
  const config: KafkaConfig = {
    clientId: settings.clientId,
    brokers: settings.brokers,
    // With a CA file the brokers are verified against it (the platform CA), not the system store.
    ssl: settings.ssl && settings.sslCa ? { ca: [settings.sslCa] } : settings.ssl,
    // kafkajs logs at ERROR what it then retries; WARN keeps real problems (and codec stalls) visible.
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const fields = { ...rest, kafkaLogger: entry.namespace };
      if (entry.level <= logLevel.ERROR) log.error(message, fields);
      else log.warn(message, fields);
    },
    // Retries at most 5 s apart, for about two minutes as before (10 retries up to 30 s apart): a
    // broker that is back is used at once (a SIGKILLed broker cost 55 s of recovery at 18,000
    // events/s with 30 s between retries, chaos run).
    retry: { initialRetryTime: 300, retries: 30, maxRetryTime: 5_000 },
  };
  if (settings.sasl) {
    const { mechanism, username, password, passwordFile } = settings.sasl;
    // kafkajs reads `password` when it authenticates each connection: a getter re-reads the mounted
    // Secret, so a rotated password is used by the next connection without a restart.
    config.sasl = {
      mechanism,
      username,
      get password(): string {
        return passwordFile ? readCredentialFile(passwordFile) : (password ?? '');
      },
    } as KafkaConfig['sasl'];
  }
  return config;
}
