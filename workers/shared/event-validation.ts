/**
 * Parsing and schema validation of raw Kafka records with compiled JSON schemas (Ajv): fast on the
 * hot path and precise in what it reports. Used by the bridge and by tools, never by workflow code.
 */
import { Ajv, type ErrorObject, type JSONSchemaType } from 'ajv';
import { READING_NAMES, SENSOR_DATA_SCHEMA_VERSION, type DeadLetterKind, type SensorData } from './events.js';
import { HEADERS } from './topics.js';

/** Larger values are dead-lettered before parsing: a reading is ~200 bytes. */
export const MAX_EVENT_BYTES = 16 * 1024;

/** Headers may not outweigh the event itself: tracing context needs a few hundred bytes. */
export const MAX_HEADER_BYTES = MAX_EVENT_BYTES;
export const MAX_HEADER_COUNT = 64;

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

const finiteNumber = { type: 'number', minimum: -1e9, maximum: 1e9 } as const;

export const sensorDataSchema: JSONSchemaType<SensorData> = {
  $id: 'SensorData.v1',
  type: 'object',
  additionalProperties: false,
  required: ['schemaVersion', 'eventId', 'deviceId', 'timestamp', 'readings'],
  properties: {
    schemaVersion: { type: 'integer', const: SENSOR_DATA_SCHEMA_VERSION },
    eventId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' },
    deviceId: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' },
    timestamp: { type: 'integer', minimum: 0, maximum: 8.64e15 },
    readings: {
      type: 'object',
      additionalProperties: false,
      required: [...READING_NAMES],
      properties: {
        temperature: finiteNumber,
        humidity: finiteNumber,
        pressure: finiteNumber,
        battery: finiteNumber,
      },
    },
    firmware: { type: 'string', maxLength: 64, nullable: true },
  },
} as unknown as JSONSchemaType<SensorData>;

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

/** Header value size, or undefined for a shape kafkajs should never produce (treated as opaque). */
function headerValueBytes(value: unknown): number | undefined {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Buffer.isBuffer(value)) return value.length;
  if (value === undefined || value === null) return 0;
  return undefined;
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

function isUtf8(value: unknown): boolean {
  if (!Buffer.isBuffer(value)) return typeof value === 'string' || value === undefined || value === null;
  try {
    utf8Decoder.decode(value);
    return true;
  } catch {
    return false;
  }
}

/**
 * Header abuse: too many, too large, not text, or impersonating the pipeline's own headers. The bridge
 * never reads header values; rejecting such records keeps forged provenance out of everything
 * downstream and bounds what a dead-letter record has to carry.
 */
export function checkHeaders(headers: RecordHeaders | undefined): Rejection | undefined {
  if (!headers) return undefined;
  let count = 0;
  let bytes = 0;
  for (const [name, raw] of Object.entries(headers)) {
    const values: unknown[] = Array.isArray(raw) ? raw : [raw];
    count += values.length;
    if (count > MAX_HEADER_COUNT) {
      return {
        ok: false,
        kind: 'header-abuse',
        reason: `more than ${MAX_HEADER_COUNT} headers`,
      };
    }
    if (RESERVED_HEADER_NAMES.has(name.toLowerCase())) {
      return {
        ok: false,
        kind: 'header-abuse',
        reason: `header '${name}' is reserved for the pipeline's own records`,
      };
    }
    for (const value of values) {
      const size = headerValueBytes(value);
      bytes += Buffer.byteLength(name) + (size ?? 0);
      if (bytes > MAX_HEADER_BYTES) {
        return { ok: false, kind: 'header-abuse', reason: `headers exceed ${MAX_HEADER_BYTES} bytes` };
      }
      // Checked after the size bound, so that at most MAX_HEADER_BYTES are ever decoded.
      if (size === undefined || !isUtf8(value)) {
        return {
          ok: false,
          kind: 'header-abuse',
          reason: `header ${quote(JSON.stringify(name))} is not UTF-8 text`,
        };
      }
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
