/**
 * Applies workers/db/migrations/*.sql in order, once each, recorded in schema_migrations. Each file
 * runs in its own transaction, which first takes a transaction-scoped advisory lock: several workers
 * starting at once apply each file once, and the lock ends with the transaction, on the connection
 * that took it. A session lock (pg_advisory_lock, then unlock in a later statement) does not survive
 * a pooler in transaction mode, which may send the unlock to another server connection and leave
 * the lock held for good (the workers reach Postgres through the CNPG Pooler).
 *
 * Migrations run as the database's owner (the chart's `migrate` init container, `npm run migrate`),
 * never as the worker: the worker's role gets DML on the tables and nothing else, so a compromised
 * or buggy worker cannot change the schema (docs/decisions/0113-migration-role.md). The worker only
 * checks at start that the database is at its build's schema (assertMigrated).
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

export interface MigrateOptions {
  /**
   * The role the worker runs as: after the migrations, it gets SELECT, INSERT, UPDATE, DELETE on
   * every table, the use of every sequence and function (the ledger's partition maintenance), and
   * only SELECT on schema_migrations. Unset: no grant
   * (a caller that runs as the owner itself, such as the benchmark's naive baseline).
   */
  readonly runtimeRole?: string;
}

/** Applies the migrations not yet recorded, then the runtime role's grants; returns the names applied. */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<string[]> {
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
  if (options.runtimeRole) await grantRuntime(pool, options.runtimeRole);
  return applied;
}

/** DML on what the migrations made, nothing more; idempotent, so every run re-states it. */
async function grantRuntime(pool: Pool, role: string): Promise<void> {
  const client = await pool.connect();
  try {
    const r = client.escapeIdentifier(role);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_ID]);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${r}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${r}`);
    await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${r}`);
    // The ledger's partition maintenance: DDL the owner's functions do, and nothing else (decision 0116).
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${r}`);
    // The record of what ran is the owner's to write.
    await client.query(`REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM ${r}`);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw new Error(`granting ${role} its rights failed: ${(err as Error).message}`, { cause: err });
  } finally {
    client.release();
  }
}

/** Thrown at a worker's start when the database is behind its build's migrations. */
export class SchemaBehindError extends Error {
  override name = 'SchemaBehindError';
}

/**
 * Checks, as the worker's role, that every migration of this build is recorded.
 * @throws SchemaBehindError naming what is missing and how to apply it
 */
export async function assertMigrated(pool: Pool): Promise<void> {
  let recorded: Set<string>;
  try {
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM schema_migrations');
    recorded = new Set(rows.map((r) => r.name));
  } catch (err) {
    // 42P01: no schema_migrations yet (nothing ran); 42501: the worker's role has no grant yet.
    const code = (err as { code?: string }).code;
    if (code !== '42P01' && code !== '42501') throw err;
    recorded = new Set();
  }
  const missing = migrationNames().filter((n) => !recorded.has(n));
  if (missing.length > 0)
    throw new SchemaBehindError(
      `the database lacks this build's migrations ${missing.join(', ')}: they run as the database owner ` +
        `before the worker starts (the chart's migrate init container; locally npm run migrate)`,
    );
}
