/** kafkajs client construction from validated settings (SASL/SCRAM and TLS when configured). */
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import type { KafkaSettings } from '../config.js';
import type { Logger } from './logger.js';

export function createKafka(settings: KafkaSettings, log: Logger): Kafka {
  return new Kafka(kafkaConfig(settings, log));
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
    retry: { initialRetryTime: 300, retries: 10, maxRetryTime: 30_000 },
  };
  if (settings.sasl) config.sasl = { ...settings.sasl } as KafkaConfig['sasl'];
  return config;
}
