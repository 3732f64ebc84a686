/**
 * A digest of a Kafka record's timestamp, key and value: equal when the same record is read again,
 * different for another record at the same offset (a recreated or truncated topic). The bridge puts
 * the first and last record's fingerprint in each batch's claim; the worker checks them when it reads
 * the range (decision 0008), and the first one tells a redelivery from a new topic incarnation
 * (decision 0002, item 7).
 */
import { createHash } from 'node:crypto';

export function recordFingerprint(timestamp: string, key: Buffer | null, value: Buffer | null): string {
  const hash = createHash('sha256');
  hash.update(timestamp).update('\0');
  hash.update(key ?? '').update('\0');
  hash.update(value ?? '');
  return hash.digest('hex').slice(0, 16);
}
