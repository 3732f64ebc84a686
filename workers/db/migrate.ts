/**
 * Applies workers/db/migrations/*.sql in order, once each, recorded in schema_migrations. Each file
 * runs in its own transaction, which first takes a transaction-scoped advisory lock: several workers
 * starting at once apply each file once, and the lock ends with the transaction, on the connection
 * that took it. A session lock (pg_advisory_lock, then unlock in a later statement) does not survive
 * a pooler in transaction mode, which may send the unlock to another server connection and leave
 * the lock held for good (the workers reach Postgres through the CNPG Pooler).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';

const MIGRATIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'migrations');
const LOCK_ID = 4_210_001;

export function migrationNames(): string[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/** Applies the migrations not yet recorded; returns the names it applied. */
export async function migrate(pool: Pool): Promise<string[]> {
  const applied: string[] = [];
  for (const name of migrationNames()) {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = await client.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]);
      if (done.rowCount === 0) {
        await client.query(readFileSync(join(MIGRATIONS_DIR, name), 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
        applied.push(name);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      client.release();
    }
  }
  return applied;
}
