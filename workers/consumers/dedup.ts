/**
 * Consumer-side deduplication for topics the pipeline publishes (invariant 4). Producers may deliver
 * a message twice (a retried activity re-publishes); each message carries an idempotency key derived
 * from the event, so a consumer keeps the keys it has handled and drops repeats.
 *
 * Two stores: an in-memory window (bounded; for consumers whose effects are themselves idempotent
 * or that restart from a checkpoint) and a Postgres table (durable; the key is recorded in the same
 * transaction as the consumer's own effect).
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { PoolClient } from 'pg';
import { HEADERS } from '../shared/topics.js';

export function idempotencyKey(headers: IHeaders | undefined): string | undefined {
  const raw = headers?.[HEADERS.idempotencyKey];
  const value = Array.isArray(raw) ? raw[0] : raw;
  return value === undefined ? undefined : value.toString();
}

/** Remembers the last `capacity` keys (insertion order); older keys fall out of the window. */
export class InMemoryDedupWindow {
  private readonly keys = new Set<string>();
  duplicates = 0;

  constructor(private readonly capacity = 1_000_000) {}

  /** True the first time a key is seen within the window. */
  firstSeen(key: string): boolean {
    if (this.keys.has(key)) {
      this.duplicates++;
      return false;
    }
    this.keys.add(key);
    if (this.keys.size > this.capacity) this.keys.delete(this.keys.values().next().value as string);
    return true;
  }

  filter(messages: readonly KafkaMessage[]): KafkaMessage[] {
    return messages.filter((m) => {
      const key = idempotencyKey(m.headers);
      return key === undefined || this.firstSeen(key);
    });
  }
}

export const DEDUP_TABLE_SQL = `CREATE TABLE IF NOT EXISTS consumer_dedup (
  consumer text NOT NULL,
  key      text NOT NULL,
  seen_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, key)
)`;

/**
 * Durable dedup inside the consumer's transaction: returns the keys not seen before and records them.
 * Commit the consumer's effects in the same transaction, so a crash never separates the two.
 */
export async function claimKeys(
  tx: PoolClient,
  consumer: string,
  keys: readonly string[],
): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await tx.query<{ key: string }>(
    `INSERT INTO consumer_dedup (consumer, key) SELECT $1, k FROM unnest($2::text[]) AS k
     ON CONFLICT DO NOTHING RETURNING key`,
    [consumer, keys],
  );
  return new Set(rows.map((r) => r.key));
}
