/**
 * Migrations through the pooler in transaction mode, as the chart's migrate init containers reach
 * Postgres in the cluster: several pods starting at once apply each file once, and no advisory lock
 * is left held on a server connection (a session lock released by a later statement is: the pooler
 * may send the unlock to another server connection, and the next pod's migrate blocks for good).
 * Then the worker's own role: DML on every table, no DDL, and its start refuses a schema that is
 * behind its build. Last, a ledger from before partitioning (migration 006) keeps its rows and
 * its identity.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadStackConfig } from '../../../local/config.js';
import { pipelineDatabaseUrl } from '../../../local/pipeline-processes.js';
import { LOCAL_RUNTIME_ROLE, psql } from '../../../local/postgres.js';
import { stack, uniqueId } from '../../../local/testing/test-stack.js';
import { sensorData } from '../../../local/testing/events.js';
import { applyBatchEffects } from '../../../workers/activities/batch-effects.js';
import { assertMigrated, migrate, migrationNames, SchemaBehindError } from '../../../workers/db/migrate.js';
import type { ApplyBatchInput } from '../../../workers/shared/activity-contract.js';
import type { SensorData } from '../../../workers/shared/events.js';

const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), '../../../workers/db/migrations');

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

test('a ledger from before partitioning keeps its rows and its identity, as one partition that retention drops whole', async () => {
  const ep = await stack();
  const legacy = `${database}_legacy`;
  await psql(loadStackConfig(), `CREATE DATABASE ${legacy} OWNER sensor_app`);
  const owner = new pg.Pool({
    connectionString: `postgres://sensor_app:sensor_app@${ep.postgres.host}:${ep.postgres.port}/${legacy}`,
    max: 2,
  });
  try {
    // The schema as the previous release left it: every migration before 006, recorded.
    await owner.query(
      'CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    for (const name of migrationNames().filter((n) => n < '006')) {
      await owner.query(readFileSync(join(migrationsDir, name), 'utf8'));
      await owner.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
    }
    const hourAgo = Date.now() - 3600_000;
    const before = batchOf('before-1', [
      sensorData('legacy-a', 1, { timestamp: hourAgo }),
      sensorData('legacy-b', 1, { timestamp: hourAgo - 3 * 86_400_000 }),
    ]);
    await owner.query(
      `INSERT INTO processed_events (event_id, device_id, event_time, batch_id, source_partition, source_offset,
         temperature, humidity, pressure, battery)
       SELECT e.event_id, e.device_id, to_timestamp(e.ts / 1000.0), 'before-1', 0, 0, 21.5, 45, 1013, 90
       FROM unnest($1::text[], $2::text[], $3::bigint[]) AS e(event_id, device_id, ts)`,
      [
        before.events.map((e) => e.eventId),
        before.events.map((e) => e.deviceId),
        before.events.map((e) => e.timestamp),
      ],
    );
    assert.deepEqual(await migrate(owner), [
      '006_ledger_partitioned_by_event_time.sql',
      '007_batches_by_source_offset.sql',
    ]);
    const parts = await owner.query<{ p: string; n: string }>(
      'SELECT tableoid::regclass::text AS p, count(*) AS n FROM processed_events GROUP BY 1',
    );
    assert.deepEqual(parts.rows, [{ p: 'processed_events_before_partitioning', n: '2' }]);
    // An exact re-send of a row from before is still refused; a conflicting copy from tomorrow, in
    // tomorrow's partition, is still a conflict.
    const resend = await applyBatchEffects(owner, batchOf('after-1', [before.events[0]!]));
    const copy = await applyBatchEffects(
      owner,
      batchOf('after-2', [sensorData('legacy-b', 1, { timestamp: Date.now() + 86_400_000 })]),
    );
    assert.deepEqual(
      [resend.applied, resend.repeats[0]?.conflict, copy.applied, copy.repeats[0]?.conflict],
      [0, false, 0, true],
    );
    // Retention drops it whole once its last day (today) is past the cutoff.
    const dropped = await owner.query<{ n: number }>(
      "SELECT ledger_drop_partitions(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' + interval '1 day') AS n",
    );
    assert.equal(dropped.rows[0]!.n, 1);
    const left = await owner.query("SELECT to_regclass('processed_events_before_partitioning') AS r");
    assert.equal(left.rows[0]!.r, null);
  } finally {
    await owner.end();
    await psql(loadStackConfig(), `DROP DATABASE IF EXISTS ${legacy} WITH (FORCE)`);
  }
});

function batchOf(batchId: string, events: SensorData[]): ApplyBatchInput {
  return {
    batchId,
    runId: 'run-1',
    range: { topic: 't', partition: 0, firstOffset: '0', lastOffset: String(events.length - 1) },
    events: events.map((e, i) => ({ ...e, source: { partition: 0, offset: String(i) } })),
    inBatchDuplicates: 0,
    rejected: 0,
    deadLettered: 0,
  };
}
