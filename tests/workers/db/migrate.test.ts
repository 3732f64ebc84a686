/**
 * Migrations through the pooler in transaction mode, as the chart's migrate init containers reach
 * Postgres in the cluster: several pods starting at once apply each file once, and no advisory lock
 * is left held on a server connection (a session lock released by a later statement is: the pooler
 * may send the unlock to another server connection, and the next pod's migrate blocks for good).
 * Then the worker's own role: DML on every table, no DDL, and its start refuses a schema that is
 * behind its build.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { loadStackConfig } from '../../../local/config.js';
import { pipelineDatabaseUrl } from '../../../local/pipeline-processes.js';
import { LOCAL_RUNTIME_ROLE, psql } from '../../../local/postgres.js';
import { stack, uniqueId } from '../../../local/testing/test-stack.js';
import { assertMigrated, migrate, migrationNames, SchemaBehindError } from '../../../workers/db/migrate.js';

const id = uniqueId('migrate');
const database = `t_${id.toLowerCase()}`;
const pools: pg.Pool[] = [];
let direct: pg.Pool;

before(async () => {
  await stack();
  await psql(loadStackConfig(), `CREATE DATABASE ${database} OWNER sensor_app`);
});

after(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await direct?.end();
  await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

function pooledPool(port: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: `postgres://sensor_app:sensor_app@127.0.0.1:${port}/${database}`,
    max: 3,
  });
  pools.push(pool);
  return pool;
}

/** Fails instead of hanging when a migrate blocks on a lock nobody will release. */
function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still blocked after ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

const runtimeRole = LOCAL_RUNTIME_ROLE.name;

test('the worker refuses to start on a database its build has not been migrated to', async () => {
  const ep = await stack();
  const asWorker = new pg.Pool({ connectionString: pipelineDatabaseUrl(ep, database), max: 1 });
  pools.push(asWorker);
  await assert.rejects(assertMigrated(asWorker), (err: unknown) => {
    assert.ok(err instanceof SchemaBehindError);
    assert.match(err.message, new RegExp(`lacks this build's migrations ${migrationNames()[0]}`));
    assert.match(err.message, /migrate init container/);
    return true;
  });
});

test('init containers starting at once through the pooler migrate once and leave no lock held', async () => {
  const ep = await stack();
  direct = new pg.Pool({
    connectionString: `postgres://sensor_app:sensor_app@${ep.postgres.host}:${ep.postgres.port}/${database}`,
    max: 1,
  });
  const workers = Array.from({ length: 4 }, () => pooledPool(ep.postgresPooler.port));
  const applied = await within(
    60_000,
    'first start',
    Promise.all(workers.map((p) => migrate(p, { runtimeRole }))),
  );
  assert.deepEqual(applied.flat().sort(), migrationNames(), 'each file applied by exactly one worker');
  const { rows } = await direct.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database WHERE l.locktype = 'advisory' AND d.datname = $1",
    [database],
  );
  assert.equal(Number(rows[0]!.n), 0, 'no advisory lock held after the migrations');
  // A rollout: new pods migrate again while the old ones' server connections sit in the pool.
  const again = await within(
    30_000,
    'second start',
    Promise.all(workers.map((p) => migrate(p, { runtimeRole }))),
  );
  assert.deepEqual(again.flat(), []);
  const recorded = await direct.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name');
  assert.deepEqual(
    recorded.rows.map((r) => r.name),
    migrationNames(),
  );
});

test("the worker's role reads and writes every table but changes no schema, and finds the schema current", async () => {
  const ep = await stack();
  const asWorker = new pg.Pool({ connectionString: pipelineDatabaseUrl(ep, database), max: 1 });
  pools.push(asWorker);
  await assertMigrated(asWorker);
  const { rows } = await asWorker.query<{ table_name: string; dml: boolean }>(
    `SELECT table_name,
            has_table_privilege(current_user, format('public.%I', table_name), 'SELECT,INSERT,UPDATE,DELETE') AS dml
       FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'schema_migrations'`,
  );
  assert.ok(rows.length >= 5, `only ${rows.length} tables`);
  assert.deepEqual(
    rows.filter((r) => !r.dml).map((r) => r.table_name),
    [],
    'tables the worker cannot write',
  );
  for (const ddl of [
    'CREATE TABLE planted (x int)',
    'ALTER TABLE processed_events ADD COLUMN planted int',
    'DROP TABLE device_state',
    'TRUNCATE processed_events',
    "INSERT INTO schema_migrations (name) VALUES ('999_planted.sql')",
  ])
    await assert.rejects(asWorker.query(ddl), /permission denied|must be owner/, ddl);
});
