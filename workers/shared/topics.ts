/** Kafka topic names: the one definition that the bridge, the workers, the stacks and the tools import. */
export const TOPICS = {
  /** SensorData from devices; key = deviceId. */
  sensorData: 'sensor-data',
  /** SensorDataProcessed, published by the workers; header idempotency-key = event id. */
  processed: 'sensor-data-processed',
  /** Alert lifecycle events (raised, escalated, acknowledged, resolved). */
  alerts: 'sensor-alerts',
  /** Malformed or invalid input, with the reason in headers. */
  deadLetter: 'sensor-data-dlq',
  /** Valid events whose processing failed permanently; re-driven by `npm run redrive`. */
  parking: 'sensor-data-parking',
} as const;

export type TopicKey = keyof typeof TOPICS;

/** The pipeline's topics under a prefix (`<prefix>.sensor-data`, ...): a bench run's or a test's own set. */
export function prefixedTopics(prefix: string): { readonly [K in TopicKey]: string } {
  return Object.fromEntries(Object.entries(TOPICS).map(([key, name]) => [key, `${prefix}.${name}`])) as {
    [K in TopicKey]: string;
  };
}

/** Consumer group of the ingest bridge. */
export const BRIDGE_CONSUMER_GROUP = 'sensor-ingest-bridge';

/** Header names shared by producers and consumers. */
export const HEADERS = {
  /** Derived from the event, never from the attempt: a consumer drops a redelivery with one lookup. */
  idempotencyKey: 'idempotency-key',
  eventType: 'event-type',
  schemaVersion: 'schema-version',
  dlqReason: 'dlq-reason',
  dlqSourceTopic: 'dlq-source-topic',
  dlqSourcePartition: 'dlq-source-partition',
  dlqSourceOffset: 'dlq-source-offset',
  parkingReason: 'parking-reason',
  workflowId: 'workflow-id',
} as const;
