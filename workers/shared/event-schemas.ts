/**
 * The event contract as JSON Schema: every record the pipeline reads or writes, with its key, its
 * headers and its value. One source for two readers:
 *   - the worker validates SensorData values against SENSOR_DATA_VALUE (event-validation.ts compiles it);
 *   - `npm run schemas` writes RECORD_SCHEMAS to docs/schemas/, the files device and consumer teams
 *     read next to docs/events.md (a test fails when the files drift from this module).
 * Plain data: no validator library here, so that anything may import it.
 */
import {
  ALERT_SCHEMA_VERSION,
  MAX_EVENT_BYTES,
  PROCESSED_SCHEMA_VERSION,
  READING_LIMITS,
  READING_NAMES,
  SENSOR_DATA_SCHEMA_VERSION,
  DEAD_LETTER_KINDS,
} from './events.js';
import { HEADERS, TOPICS } from './topics.js';

const ID_PATTERN = '^[A-Za-z0-9._:-]+$';
const id = (what: string) => ({
  type: 'string',
  minLength: 1,
  maxLength: 128,
  pattern: ID_PATTERN,
  description: `${what}: 1-128 characters of A-Z a-z 0-9 . _ : -`,
});
const epochMs = (what: string) => ({
  type: 'integer',
  minimum: 0,
  maximum: 8.64e15,
  description: `${what}, milliseconds since the Unix epoch (an integer; ISO-8601 strings are rejected)`,
});
const offset = { type: 'string', pattern: '^\\d+$', description: 'Kafka offset, decimal (64-bit)' };
const position = {
  type: 'object',
  additionalProperties: false,
  required: ['partition', 'offset'],
  properties: { partition: { type: 'integer', minimum: 0 }, offset },
};
const header = (description: string, extra: object = {}) => ({ type: 'string', description, ...extra });

/**
 * The SensorData v1 value as the worker's parse checks it (claim check, decision 0008). Readings only need to be finite here; their sensor
 * ranges (READING_LIMITS) and the time window are the batch workflow's checks, published in
 * SENSOR_DATA_RECORD below.
 */
export const SENSOR_DATA_VALUE = {
  $id: 'SensorData.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'eventId', 'deviceId', 'timestamp', 'readings'],
  properties: {
    schemaVersion: { type: 'integer', const: SENSOR_DATA_SCHEMA_VERSION },
    eventId: id(
      'Unique per reading of its device (an event is deviceId + eventId); an exact re-send within the duplicate window has no effect, the same ids with another reading are dead-lettered as a conflict',
    ),
    deviceId: id('The device; must equal the record key'),
    timestamp: epochMs('When the device took the reading'),
    readings: {
      type: 'object',
      additionalProperties: false,
      required: [...READING_NAMES],
      properties: Object.fromEntries(
        READING_NAMES.map((name) => [name, { type: 'number', minimum: -1e9, maximum: 1e9 }]),
      ),
    },
    // U+0000 and unpaired surrogates: no text column stores them (Postgres refuses the first).
    firmware: { type: 'string', maxLength: 64, pattern: '^[^\\u0000\\p{Surrogate}]*$', nullable: true },
  },
} as const;

const UNITS: Record<(typeof READING_NAMES)[number], string> = {
  temperature: '°C',
  humidity: '% relative humidity',
  pressure: 'hPa',
  battery: '% of charge',
};

/** The published SensorData value: the bridge's schema with the workflow's sensor ranges. */
function publishedSensorData(): object {
  const { $id: _unused, ...value } = SENSOR_DATA_VALUE;
  void _unused;
  const { firmware, ...properties } = value.properties;
  return {
    ...value,
    properties: {
      ...properties,
      readings: {
        ...value.properties.readings,
        properties: Object.fromEntries(
          READING_NAMES.map((name) => {
            const [minimum, maximum] = READING_LIMITS[name];
            return [name, { type: 'number', minimum, maximum, description: UNITS[name] }];
          }),
        ),
      },
      firmware: { type: ['string', 'null'], maxLength: firmware.maxLength, pattern: firmware.pattern },
    },
  };
}

export interface RecordSchema {
  /** File name under docs/schemas/. */
  readonly file: string;
  readonly schema: Record<string, unknown>;
}

function recordSchema(
  file: string,
  title: string,
  description: string,
  key: object,
  headers: { readonly required: readonly string[]; readonly properties: Record<string, object> },
  valueName: string,
  value: object,
): RecordSchema {
  return {
    file,
    schema: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      $id: `https://sensor-pipeline.example/schemas/${file}`,
      title,
      description: `${description} A Kafka record as {key, headers, value}: key and header values as UTF-8 strings, the value as parsed JSON; the value alone is #/definitions/${valueName}.`,
      type: 'object',
      required: ['key', 'value'],
      properties: {
        key,
        headers: { type: 'object', required: [...headers.required], properties: headers.properties },
        value: { $ref: `#/definitions/${valueName}` },
      },
      definitions: { [valueName]: value },
    },
  };
}

const deviceKey = { type: 'string', minLength: 1, maxLength: 128, description: 'The deviceId' };
const idempotencyKey = (derivation: string) =>
  header(`Derived from the event, never from the attempt (${derivation}): consumers drop a repeat by it`);

export const RECORD_SCHEMAS: readonly RecordSchema[] = [
  recordSchema(
    'sensor-data.v1.schema.json',
    'SensorData v1',
    `A device's reading on '${TOPICS.sensorData}'. The worker's parse rejects a value over ${MAX_EVENT_BYTES} bytes, a key that is not the deviceId and a header named like the pipeline's own; its validation rejects readings outside these ranges and timestamps outside the event window (default: older than 7 days or more than 5 minutes ahead). Other headers are ignored.`,
    { ...deviceKey, description: 'The deviceId (required: one device stays on one partition, in order)' },
    {
      required: [],
      properties: {
        [HEADERS.schemaVersion]: header(
          "Optional and not read: the value's own schemaVersion is what counts",
        ),
      },
    },
    'SensorData',
    publishedSensorData(),
  ),
  recordSchema(
    'sensor-data-processed.v1.schema.json',
    'SensorDataProcessed v1',
    `Published to '${TOPICS.processed}' once a reading's effects are committed. At least once on the wire: dedup by the idempotency-key header.`,
    deviceKey,
    {
      required: [HEADERS.idempotencyKey, HEADERS.eventType],
      properties: {
        [HEADERS.idempotencyKey]: idempotencyKey('<deviceId>/<eventId>'),
        [HEADERS.eventType]: header('Record type', { const: 'SensorDataProcessed' }),
      },
    },
    'SensorDataProcessed',
    {
      type: 'object',
      additionalProperties: false,
      required: ['schemaVersion', 'eventId', 'deviceId', 'eventTime', 'processedAt', 'batchId', 'source'],
      properties: {
        schemaVersion: { type: 'integer', const: PROCESSED_SCHEMA_VERSION },
        eventId: id('The reading'),
        deviceId: id('The device'),
        eventTime: epochMs("The reading's timestamp"),
        processedAt: epochMs('When its effects were committed (the same on every re-publish)'),
        batchId: { type: 'string', minLength: 1, description: 'The batch workflow that applied it' },
        source: { ...position, description: `Where the reading sits on '${TOPICS.sensorData}'` },
      },
    },
  ),
  recordSchema(
    'alert-event.v1.schema.json',
    'AlertEvent v1',
    `Published to '${TOPICS.alerts}' on every alert transition. At least once on the wire: dedup by the idempotency-key header.`,
    deviceKey,
    {
      required: [HEADERS.idempotencyKey, HEADERS.eventType],
      properties: {
        [HEADERS.idempotencyKey]: idempotencyKey('alertId:runId:sequence'),
        [HEADERS.eventType]: header('Record type', { const: 'Alert' }),
      },
    },
    'AlertEvent',
    {
      type: 'object',
      additionalProperties: false,
      required: [
        'schemaVersion',
        'alertId',
        'deviceId',
        'rule',
        'transition',
        'sequence',
        'level',
        'value',
        'at',
      ],
      properties: {
        schemaVersion: { type: 'integer', const: ALERT_SCHEMA_VERSION },
        alertId: { type: 'string', minLength: 1 },
        deviceId: id('The device'),
        rule: { type: 'string', minLength: 1, description: 'The alert rule (ALERT_RULES name)' },
        transition: { enum: ['raised', 'escalated', 'acknowledged', 'resolved'] },
        sequence: { type: 'integer', minimum: 0, description: 'Transition number within the alert' },
        level: { type: 'integer', minimum: 0, description: 'Escalation tier reached' },
        value: { type: ['number', 'null'], description: 'The last reading of the rule' },
        at: epochMs('When the transition happened'),
        by: { type: 'string', description: 'Who acknowledged (acknowledged only)' },
      },
    },
  ),
  recordSchema(
    'dead-letter.v1.schema.json',
    'DeadLetter v1',
    `A rejected '${TOPICS.sensorData}' record on '${TOPICS.deadLetter}', written by the worker (decisions 0005, 0008): the reason, the source position and the original bytes (bounded).`,
    { type: ['string', 'null'], description: 'The original key (its first 1 KiB); null when it had none' },
    {
      required: [
        HEADERS.idempotencyKey,
        HEADERS.eventType,
        HEADERS.dlqReason,
        HEADERS.dlqSourceTopic,
        HEADERS.dlqSourcePartition,
        HEADERS.dlqSourceOffset,
      ],
      properties: {
        [HEADERS.idempotencyKey]: idempotencyKey('<topic>/<partition>/<offset> of the source'),
        [HEADERS.eventType]: header('Record type', { const: 'DeadLetter' }),
        [HEADERS.dlqReason]: header('<kind>: <reason>, at most 512 characters of reason', { maxLength: 600 }),
        [HEADERS.dlqSourceTopic]: header('Source topic'),
        [HEADERS.dlqSourcePartition]: header('Source partition', { pattern: '^\\d+$' }),
        [HEADERS.dlqSourceOffset]: header('Source offset', { pattern: '^\\d+$' }),
      },
    },
    'DeadLetter',
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'reason', 'source', 'key', 'valueBase64', 'deadLetteredAt'],
      properties: {
        kind: { enum: [...DEAD_LETTER_KINDS] },
        reason: { type: 'string', maxLength: 512 },
        source: {
          type: 'object',
          additionalProperties: false,
          required: ['topic', 'partition', 'offset'],
          properties: { topic: { type: 'string' }, ...position.properties },
        },
        key: { type: ['string', 'null'], description: 'The original key, base64' },
        valueBase64: {
          type: 'string',
          description: `The original value, base64: whole up to ${MAX_EVENT_BYTES} bytes, else that prefix (see truncated); empty for an undecodable batch`,
        },
        deadLetteredAt: epochMs('When it was dead-lettered'),
        original: {
          type: 'object',
          additionalProperties: false,
          required: ['topic', 'partition', 'offset', 'batchId'],
          description: 'event-id-conflict: the reading applied first under the same deviceId and eventId',
          properties: { topic: { type: 'string' }, ...position.properties, batchId: { type: 'string' } },
        },
        truncated: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(
            ['key', 'value'].map((part) => [
              part,
              {
                type: 'object',
                additionalProperties: false,
                required: ['bytes', 'sha256'],
                properties: {
                  bytes: { type: 'integer', minimum: 0 },
                  sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
                },
              },
            ]),
          ),
        },
      },
    },
  ),
];
