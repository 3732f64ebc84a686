/**
 * Event contracts of the pipeline. Pure types and constants: the deterministic workflow code imports
 * this file, so it must stay free of I/O and of libraries that generate code at run time. The JSON
 * schemas and their compiled validators live in event-validation.ts.
 */

export const SENSOR_DATA_SCHEMA_VERSION = 1;
export const PROCESSED_SCHEMA_VERSION = 1;
export const ALERT_SCHEMA_VERSION = 1;

export const READING_NAMES = ['temperature', 'humidity', 'pressure', 'battery'] as const;
export type ReadingName = (typeof READING_NAMES)[number];

/** Units: temperature °C, humidity %RH, pressure hPa, battery % of charge. */
export type Readings = Record<ReadingName, number>;

/** Physical limits of the fleet's sensors; a value outside is a faulty sensor, not an alert. */
export const READING_LIMITS: Record<ReadingName, readonly [min: number, max: number]> = {
  temperature: [-60, 150],
  humidity: [0, 100],
  pressure: [300, 1100],
  battery: [0, 100],
};

/** Larger SensorData values are dead-lettered before parsing: a reading is ~220 bytes. */
export const MAX_EVENT_BYTES = 16 * 1024;

/** A device's measurement, as produced to `sensor-data` (key = deviceId). */
export interface SensorData {
  readonly schemaVersion: 1;
  /** Unique per reading, assigned by the device; duplicates are dropped by the ledger. */
  readonly eventId: string;
  readonly deviceId: string;
  /** When the device took the reading, epoch milliseconds. */
  readonly timestamp: number;
  readonly readings: Readings;
  readonly firmware?: string;
}

/**
 * An event's identity (invariant 5): its device and the eventId the device gave it. The same eventId
 * from two devices is two events. '/' is in neither ID's alphabet, so the joined form is unambiguous;
 * it is the idempotency key of the event's SensorDataProcessed record.
 */
export function eventKey(deviceId: string, eventId: string): string {
  return `${deviceId}/${eventId}`;
}

/** Where an event sits in Kafka: the audit trail's first hop. */
export interface SourcePosition {
  readonly partition: number;
  readonly offset: string;
}

/** A schema-valid event with its position, as handed from the bridge to a batch workflow. */
export interface IngestedEvent extends SensorData {
  readonly source: SourcePosition;
}

/** Published to `sensor-data-processed` once per event's effects (header idempotency-key = eventId). */
export interface SensorDataProcessed {
  readonly schemaVersion: 1;
  readonly eventId: string;
  readonly deviceId: string;
  readonly eventTime: number;
  /** When the effects were committed (from the ledger, so a re-publish carries the same value). */
  readonly processedAt: number;
  readonly batchId: string;
  readonly source: SourcePosition;
}

export type AlertTransition = 'raised' | 'escalated' | 'acknowledged' | 'resolved';

/** Published to `sensor-alerts` on every transition (idempotency-key = alertId:transition:sequence). */
export interface AlertEvent {
  readonly schemaVersion: 1;
  readonly alertId: string;
  readonly deviceId: string;
  readonly rule: string;
  readonly transition: AlertTransition;
  readonly sequence: number;
  readonly level: number;
  readonly value: number;
  readonly at: number;
  readonly by?: string;
}

/**
 * Why a message went to the dead-letter topic (docs/events.md has each one's meaning). header-abuse:
 * a header named like the pipeline's own (forged provenance); undecodable-batch: the record batch
 * holding the offset could not be decompressed or decoded, so the value is empty; event-id-conflict:
 * the device's eventId was already applied with another reading (the envelope names the original);
 * refused-by-database: Postgres refused this reading's row, and the rest of its batch was applied.
 */
export const DEAD_LETTER_KINDS = [
  'malformed-json',
  'schema-violation',
  'invalid-reading',
  'oversize',
  'missing-key',
  'unknown-schema-version',
  'header-abuse',
  'undecodable-batch',
  'event-id-conflict',
  'refused-by-database',
] as const;
export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

/** Value of a dead-letter record; the original bytes travel base64-encoded so nothing is lost. */
export interface DeadLetterEnvelope {
  readonly kind: DeadLetterKind;
  readonly reason: string;
  readonly source: { readonly topic: string; readonly partition: number; readonly offset: string };
  readonly key: string | null;
  readonly valueBase64: string;
  readonly deadLetteredAt: number;
  /** event-id-conflict: where the reading already applied under the same ids came from. */
  readonly original?: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: string;
    readonly batchId: string;
  };
}
