/**
 * kafkajs 2.2.4 folds a fetched record's headers with one object spread per header: quadratic time.
 * Measured here: 10,000 headers (a 69 KB record) block the event loop for 62 s, and a 1 MB record can
 * carry over 100,000. One such record stops a bridge's heartbeats; redelivered to the next member, it
 * stalls the partition for good. This replaces kafkajs's record decoder with the same code and a
 * linear fold, which also keeps headers named like Object.prototype members ('constructor',
 * '__proto__') as plain values instead of mixing in the prototype's. kafkajs loads its decoders on
 * the first fetch, so this must run before a process's first consumer fetches.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The version whose decoder this copies; any other is left alone. */
const PATCHED_VERSION = '2.2.4';
const RECORD_DECODER = 'kafkajs/src/protocol/recordBatch/record/v0/decoder.js';
const BATCH_DECODER = 'kafkajs/src/protocol/recordBatch/v0/decoder.js';

interface WireDecoder {
  readInt8(): number;
  readVarLong(): unknown;
  readVarInt(): number;
  readVarIntBytes(): Buffer | null;
  readVarIntArray<T>(reader: (d: WireDecoder) => T): T[];
}

interface BatchContext {
  readonly firstOffset?: string;
  readonly firstTimestamp?: string;
  readonly magicByte?: number;
  readonly isControlBatch?: boolean;
  readonly timestampType?: number;
  readonly maxTimestamp?: string;
}

interface LongLike {
  add(other: unknown): LongLike;
  toString(): string;
}

type HeaderValue = Buffer | null;

function setHeader(headers: Record<string, HeaderValue | HeaderValue[]>, name: string, value: unknown): void {
  Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
}

function linearRecordDecoder(): (decoder: WireDecoder, batchContext?: BatchContext) => unknown {
  const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): LongLike };
  const TimestampTypes = require('kafkajs/src/protocol/timestampTypes.js') as { LOG_APPEND_TIME: number };
  const decodeHeader = require('kafkajs/src/protocol/recordBatch/header/v0/decoder.js') as (
    d: WireDecoder,
  ) => { key: string; value: HeaderValue };

  return (decoder, batchContext = {}) => {
    const {
      firstOffset,
      firstTimestamp,
      magicByte,
      isControlBatch = false,
      timestampType,
      maxTimestamp,
    } = batchContext;
    const attributes = decoder.readInt8();
    const timestampDelta = decoder.readVarLong();
    const timestamp =
      timestampType === TimestampTypes.LOG_APPEND_TIME && maxTimestamp
        ? maxTimestamp
        : Long.fromValue(firstTimestamp).add(timestampDelta).toString();
    const offsetDelta = decoder.readVarInt();
    const offset = Long.fromValue(firstOffset).add(offsetDelta).toString();
    const key = decoder.readVarIntBytes();
    const value = decoder.readVarIntBytes();
    // Same shape as kafkajs's fold (one value, or an array for a repeated name), in linear time.
    const headers: Record<string, HeaderValue | HeaderValue[]> = {};
    for (const header of decoder.readVarIntArray(decodeHeader)) {
      if (!Object.hasOwn(headers, header.key)) {
        setHeader(headers, header.key, header.value);
        continue;
      }
      const previous = headers[header.key]!;
      if (Array.isArray(previous)) previous.push(header.value);
      else setHeader(headers, header.key, [previous, header.value]);
    }
    return {
      magicByte,
      attributes,
      timestamp,
      offset,
      key,
      value,
      headers,
      isControlRecord: isControlBatch,
      batchContext,
    };
  };
}

export type HeaderDecoding = 'linear' | 'other-kafkajs-version' | 'too-late';

let installed: unknown;

/**
 * Installs the linear decoder for this process. 'too-late' means a consumer already fetched with
 * the original one, which stays in use: the caller should say so loudly.
 */
export function installLinearHeaderDecoding(): HeaderDecoding {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION) return 'other-kafkajs-version';
  const recordPath = require.resolve(RECORD_DECODER);
  if (installed !== undefined && require.cache[recordPath]?.exports === installed) return 'linear';
  if (require.cache[require.resolve(BATCH_DECODER)]) return 'too-late';
  require(recordPath);
  installed = linearRecordDecoder();
  require.cache[recordPath]!.exports = installed;
  return 'linear';
}
