/**
 * Gzip for large Temporal payloads: a batch of hundreds of readings is repetitive JSON that shrinks
 * ~5x, which keeps workflow histories (and Postgres) small. Small payloads stay plain. Both the
 * bridge (client) and the worker install it; encoded payloads carry their own marker.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Payload, PayloadCodec } from '@temporalio/common';

const ENCODING = 'binary/gzip';
const MIN_BYTES = 2048;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class GzipPayloadCodec implements PayloadCodec {
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (!payload.data || payload.data.length < MIN_BYTES) return payload;
      const inner = {
        metadata: Object.fromEntries(
          Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      };
      return {
        metadata: {
          encoding: encoder.encode(ENCODING),
          inner: encoder.encode(JSON.stringify(inner)),
        },
        data: gzipSync(payload.data, { level: 1 }),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || decoder.decode(encoding) !== ENCODING || !payload.data) return payload;
      const inner = JSON.parse(decoder.decode(payload.metadata?.inner ?? new Uint8Array())) as {
        metadata: Record<string, string>;
      };
      return {
        metadata: Object.fromEntries(
          Object.entries(inner.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
        ),
        data: new Uint8Array(gunzipSync(payload.data)),
      };
    });
  }
}

export const dataConverter = { payloadCodecs: [new GzipPayloadCodec()] };
