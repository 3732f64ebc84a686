/**
 * Parsing and schema validation of raw Kafka records with compiled JSON schemas (Ajv): fast on the
 * hot path and precise in what it reports. Used by the bridge and by tools, never by workflow code.
 */
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import { SENSOR_DATA_VALUE } from './event-schemas.js';
import {
  MAX_EVENT_BYTES,
  SENSOR_DATA_SCHEMA_VERSION,
  type DeadLetterKind,
  type SensorData,
  type IngestedEvent,
} from './events.js';
import { HEADERS } from './topics.js';

export { MAX_EVENT_BYTES };

/**
 * Names the pipeline writes on its own records. On sensor-data they can only be forged (or pipeline
 * output fed back in): a consumer that trusts them would dedup or re-drive by an attacker's word.
 * schema-version is left out: a producer may state the version it wrote, and the value is checked anyway.
 */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set(
  Object.values(HEADERS).filter((name) => name !== HEADERS.schemaVersion),
);

/** Reasons quote the input; bounded so that a hostile property name cannot bloat logs or the DLQ. */
const MAX_QUOTE = 64;

/** Record headers as kafkajs hands them over; any shape is tolerated, since nothing here is trusted. */
export type RecordHeaders = Readonly<Record<string, unknown>>;

/** The bridge's schema of a SensorData value (the one source: event-schemas.ts). */
export const sensorDataSchema = SENSOR_DATA_VALUE as unknown as JSONSchemaType<SensorData>;

const ajv = new Ajv({ allErrors: false, strict: true });
const validateSensorData = ajv.compile(sensorDataSchema);

export interface Rejection {
  readonly ok: false;
  readonly kind: DeadLetterKind;
  readonly reason: string;
}

export type ParseResult = { readonly ok: true; readonly event: SensorData } | Rejection;

function quote(text: string, max = MAX_QUOTE): string {
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

function describe(error: ErrorObject | undefined): string {
  if (!error) return 'invalid';
  const path = quote(error.instancePath || '/');
  if (error.keyword === 'additionalProperties') {
    return `${path}: unexpected property '${quote((error.params as { additionalProperty: string }).additionalProperty)}'`;
  }
  return `${path}: ${error.message ?? error.keyword}`;
}

/** Only scalars are quoted: JSON.stringify of a deeply nested value overflows the stack. */
function describeValue(value: unknown): string {
  if (value === null || typeof value !== 'object') return quote(JSON.stringify(value) ?? String(value));
  return Array.isArray(value) ? 'an array' : 'an object';
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON may spell U+0000 and unpaired surrogates (\u0000, \ud800); Postgres text refuses the first,
 * and UTF-8 cannot encode the second (it would be stored as U+FFFD, another string than was sent).
 */
const UNPAIRED_SURROGATE = /\p{Surrogate}/u;

export function storableText(text: string): boolean {
  return !text.includes('\u0000') && !UNPAIRED_SURROGATE.test(text);
}

/**
 * Headers the pipeline does not own (tracing context, a schema registry id, binary values, any
 * number of them) never decide a reading's fate: nothing here reads or forwards them, kafkajs decodes
 * them in linear time (workers/lib/kafkajs-decoders.ts), and the broker bounds a record's size. The one
 * rejection is a header named like the pipeline's own: on sensor-data it can only be forged, and a
 * consumer that trusted it would dedup or re-drive by an attacker's word (decision 0005).
 */
export function checkHeaders(headers: RecordHeaders | undefined): Rejection | undefined {
  if (!headers) return undefined;
  for (const name of Object.keys(headers)) {
    if (RESERVED_HEADER_NAMES.has(name.toLowerCase())) {
      return {
        ok: false,
        kind: 'header-abuse',
        reason: `header '${quote(name)}' is reserved for the pipeline's own records`,
      };
    }
  }
  return undefined;
}

/** Parses one record's key, value and headers; never throws. */
export function parseSensorData(
  key: Buffer | null,
  value: Buffer | null,
  headers?: RecordHeaders,
): ParseResult {
  const headerProblem = checkHeaders(headers);
  if (headerProblem) return headerProblem;
  if (value === null || value.length === 0)
    return { ok: false, kind: 'malformed-json', reason: 'empty value (tombstone)' };
  if (value.length > MAX_EVENT_BYTES) {
    return {
      ok: false,
      kind: 'oversize',
      reason: `value is ${value.length} bytes; the limit is ${MAX_EVENT_BYTES}`,
    };
  }
  let json: unknown;
  try {
    // fatal decoding: invalid UTF-8 is an error, not silently replaced characters
    json = JSON.parse(utf8Decoder.decode(value));
  } catch (err) {
    return {
      ok: false,
      kind: 'malformed-json',
      reason: `not valid UTF-8 JSON: ${quote((err as Error).message, 4 * MAX_QUOTE)}`,
    };
  }
  if (
    typeof json === 'object' &&
    json !== null &&
    'schemaVersion' in json &&
    json.schemaVersion !== SENSOR_DATA_SCHEMA_VERSION
  ) {
    return {
      ok: false,
      kind: 'unknown-schema-version',
      reason: `schemaVersion ${describeValue(json.schemaVersion)} is not supported (expected ${SENSOR_DATA_SCHEMA_VERSION})`,
    };
  }
  // Before the schema, whose pattern says the same in a message nobody reads easily.
  if (typeof json === 'object' && json !== null && 'firmware' in json && typeof json.firmware === 'string') {
    if (!storableText(json.firmware)) {
      return {
        ok: false,
        kind: 'schema-violation',
        reason: '/firmware: holds U+0000 or an unpaired surrogate, which no text column can store',
      };
    }
  }
  if (!validateSensorData(json)) {
    return { ok: false, kind: 'schema-violation', reason: describe(validateSensorData.errors?.[0]) };
  }
  if (key === null || key.length === 0)
    return { ok: false, kind: 'missing-key', reason: 'record has no key (expected the deviceId)' };
  if (key.toString('utf8') !== json.deviceId) {
    return {
      ok: false,
      kind: 'schema-violation',
      reason: `key '${quote(key.toString('utf8'))}' differs from deviceId '${json.deviceId}'`,
    };
  }
  return { ok: true, event: json };
}

/**
 * A parked record's event (the parking topic holds the ingested event with its source position), or
 * undefined when it is not one. The worker reads re-driven ranges with it; `npm run redrive` counts by it.
 */
export function parseParkedEvent(key: Buffer | null, value: Buffer | null): IngestedEvent | undefined {
  try {
    const { source, ...data } = JSON.parse(value?.toString() ?? '') as IngestedEvent;
    const parsed = parseSensorData(key, Buffer.from(JSON.stringify(data)));
    return parsed.ok && source ? { ...parsed.event, source } : undefined;
  } catch {
    return undefined;
  }
}
