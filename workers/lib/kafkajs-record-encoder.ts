/**
 * kafkajs 2.2.4 encodes each record of a send with three growable encoders (the record and one per
 * header), each a zero-filled 512-byte Buffer, and every varint through a temporary array and
 * Buffer.from. Publishing SensorDataProcessed (two headers per record), that was the worker's largest
 * item after GC: 10 % of its CPU at 16,000 events/s, almost all of it in Buffer allocation
 * (BENCHMARKS.md). This encoder writes the same bytes into one exactly sized buffer from Node's pool.
 *
 * kafkajs loads its record encoder with the produce request, on the first send, so installing it any
 * time before then works (hardenKafkajs() does, in every client constructor). Shapes this encoder does
 * not know (a timestamp delta that is not a safe integer, a key that is neither string nor Buffer)
 * go to kafkajs's own encoder unchanged; a test compares the bytes of both.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const PATCHED_VERSION = '2.2.4';
const RECORD = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
/** The module that binds RECORD when it loads (on the first produce request). */
const PRODUCE_REQUEST = 'kafkajs/src/protocol/requests/produce/v3/request.js';

type Bytes = string | Buffer | null | undefined;

export interface RecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: Bytes;
  readonly value?: Bytes;
  readonly headers?: Record<string, Bytes | readonly Bytes[]>;
}

/** What kafkajs's record batch reads from an encoded record: its bytes as `buf` and `buffer`. */
export class EncodedRecord {
  constructor(readonly buf: Buffer) {}
  get buffer(): Buffer {
    return this.buf;
  }
  size(): number {
    return this.buf.length;
  }
}

type RecordEncoder = (record: RecordInput) => { buffer: Buffer };

const zigZag32 = (n: number): number => ((n << 1) ^ (n >> 31)) >>> 0;
/** 64-bit zigzag of a safe integer, as a (safe) non-negative number. */
const zigZag64 = (n: number): number => (n >= 0 ? n * 2 : -n * 2 - 1);

function sizeOfUnsigned(u: number): number {
  let bytes = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 0x80);
    bytes++;
  }
  return bytes;
}

function writeUnsigned(buf: Buffer, offset: number, u: number): number {
  while (u >= 0x80) {
    buf[offset++] = (u % 0x80) | 0x80;
    u = Math.floor(u / 0x80);
  }
  buf[offset++] = u;
  return offset;
}

/** Byte length of a key, value or header value; -1 for null; undefined for a shape left to kafkajs. */
function lengthOf(value: unknown): number | undefined {
  if (value == null) return -1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (Buffer.isBuffer(value)) return value.length;
  return undefined;
}

function writeBytes(buf: Buffer, offset: number, value: Bytes, length: number): number {
  offset = writeUnsigned(buf, offset, zigZag32(length));
  if (length <= 0 || value == null) return offset;
  if (typeof value === 'string') buf.write(value, offset, length, 'utf8');
  else value.copy(buf, offset);
  return offset + length;
}

/** Same bytes as kafkajs's Record, or undefined when the record has a shape only kafkajs handles. */
export function encodeRecord(record: RecordInput): EncodedRecord | undefined {
  const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = record;
  if (!Number.isSafeInteger(timestampDelta) || !Number.isInteger(offsetDelta)) return undefined;
  const keyLength = lengthOf(key);
  const valueLength = lengthOf(value);
  if (keyLength === undefined || valueLength === undefined) return undefined;

  const headerKeys: string[] = [];
  const headerValues: Bytes[] = [];
  const headerLengths: number[] = [];
  for (const name of Object.keys(headers)) {
    const entry = headers[name];
    for (const v of Array.isArray(entry) ? (entry as readonly Bytes[]) : [entry as Bytes]) {
      const length = lengthOf(v);
      // kafkajs cannot size a null header value either: leave the error to it.
      if (length === undefined || length < 0) return undefined;
      headerKeys.push(name);
      headerValues.push(v);
      headerLengths.push(length);
    }
  }
  const timestamp = zigZag64(timestampDelta);
  let body =
    1 +
    sizeOfUnsigned(timestamp) +
    sizeOfUnsigned(zigZag32(offsetDelta)) +
    sizeOfUnsigned(zigZag32(keyLength)) +
    Math.max(keyLength, 0) +
    sizeOfUnsigned(zigZag32(valueLength)) +
    Math.max(valueLength, 0) +
    sizeOfUnsigned(zigZag32(headerKeys.length));
  const headerKeyLengths = headerKeys.map((k) => Buffer.byteLength(k, 'utf8'));
  for (let i = 0; i < headerKeys.length; i++) {
    body += sizeOfUnsigned(zigZag32(headerKeyLengths[i]!)) + headerKeyLengths[i]!;
    body += sizeOfUnsigned(zigZag32(headerLengths[i]!)) + headerLengths[i]!;
  }
  const buf = Buffer.allocUnsafe(sizeOfUnsigned(zigZag32(body)) + body);
  let o = writeUnsigned(buf, 0, zigZag32(body));
  buf[o++] = 0; // attributes: none are used per record
  o = writeUnsigned(buf, o, timestamp);
  o = writeUnsigned(buf, o, zigZag32(offsetDelta));
  o = writeBytes(buf, o, key, keyLength);
  o = writeBytes(buf, o, value, valueLength);
  o = writeUnsigned(buf, o, zigZag32(headerKeys.length));
  for (let i = 0; i < headerKeys.length; i++) {
    o = writeBytes(buf, o, headerKeys[i]!, headerKeyLengths[i]!);
    o = writeBytes(buf, o, headerValues[i], headerLengths[i]!);
  }
  return new EncodedRecord(buf);
}

export type RecordEncoderInstall = 'installed' | 'other-kafkajs-version' | 'too-late';

let kafkajsRecord: RecordEncoder | undefined;

/** kafkajs's own record encoder (for the fallback and for tests that compare bytes). */
export function kafkajsRecordEncoder(): RecordEncoder {
  kafkajsRecord ??= require(RECORD) as RecordEncoder;
  return kafkajsRecord;
}

function fastRecord(record: RecordInput): { buffer: Buffer } {
  return encodeRecord(record) ?? kafkajsRecordEncoder()(record);
}

/** Replaces kafkajs's record encoder in this process; idempotent. */
export function installRecordEncoder(): RecordEncoderInstall {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION) return 'other-kafkajs-version';
  const path = require.resolve(RECORD);
  if (require.cache[path]?.exports === fastRecord) return 'installed';
  if (require.cache[require.resolve(PRODUCE_REQUEST)]) return 'too-late';
  kafkajsRecordEncoder();
  require.cache[path]!.exports = fastRecord;
  return 'installed';
}
