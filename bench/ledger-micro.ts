/**
 * `npm run bench:ledger`: the ledger's cost per event in its layouts, side by side in one run on the
 * local Postgres (decision 0116), so the partitioning is measured rather than assumed.
 *   - one table (before 0116): key (device, event), an index on processed_at for retention, inserts
 *     with ON CONFLICT on the key; retention deletes a day's rows in chunks;
 *   - partitioned (now): key (device, event, time), inserts only ids no partition holds (a probe of
 *     each partition), in a transaction that first takes its source partition's lock; retention
 *     drops a partition. Once with a partition a day, once with the span the retention sizes
 *     (workers/shared/ledger-partitions.ts), to show what each live partition costs.
 * All are filled with the same days of rows, then take the same batches, in turn. Printed: the
 * insert's wall time and WAL per event, and what retiring the oldest day costs in each. Only the
 * ledger's statement is measured (rollups, device state and the batch record are the same in all);
 * a local ledger fits in memory, so the layouts' index sizes do not show here.
 *
 *   npm run bench:ledger -- [--days 9] [--rows-per-day 200000] [--batches 40] [--batch-events 2000]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { endpoints, loadStackConfig } from '../local/config.js';
import { formatCount } from '../local/lib/format.js';
import { directDatabaseUrl } from '../local/pipeline-processes.js';
import { psql } from '../local/postgres.js';
import { ledgerPartitionDays } from '../workers/shared/ledger-partitions.js';

const { values: args } = parseArgs({
  options: {
    days: { type: 'string', default: '9' },
    'rows-per-day': { type: 'string', default: '200000' },
    batches: { type: 'string', default: '40' },
    'batch-events': { type: 'string', default: '2000' },
  },
});
const DAYS = Number(args.days);
const ROWS_PER_DAY = Number(args['rows-per-day']);
const BATCHES = Number(args.batches);
const BATCH_EVENTS = Number(args['batch-events']);
for (const [name, v] of Object.entries({ DAYS, ROWS_PER_DAY, BATCHES, BATCH_EVENTS }))
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} (${v}): expected a positive integer`);

const COLUMNS = `event_id text NOT NULL, device_id text NOT NULL, event_time timestamptz NOT NULL,
  batch_id text NOT NULL, source_partition integer NOT NULL, source_offset bigint NOT NULL,
  temperature double precision NOT NULL, humidity double precision NOT NULL,
  pressure double precision NOT NULL, battery double precision NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT clock_timestamp(), firmware text`;

interface Layout {
  readonly name: string;
  readonly schema: string;
  readonly create: (days: readonly string[]) => string;
  readonly insert: string;
  /** Run around the insert (the lock and its transaction), or nothing. */
  readonly inTransaction: boolean;
  /** Statements that retire the oldest day of the fill, with the days that share its partition. */
  readonly retire: (oldest: string) => string[];
  /** Days of the fill that `retire` removes. */
  readonly retiredDays: (days: readonly string[]) => number;
  /** Partitions an insert probes (1: the one table). */
  readonly live: (days: readonly string[]) => number;
}

const dayName = (day: string) => `d${day.replaceAll('-', '')}`;

/** The span the retention sizes for the fill's window (workers/shared/ledger-partitions.ts). */
const SPAN = ledgerPartitionDays((DAYS - 1) * 86_400_000);

const LAYOUTS: readonly Layout[] = [
  {
    name: 'one table (before)',
    schema: 'ledger_one_table',
    create: () => `CREATE TABLE ledger (${COLUMNS}, PRIMARY KEY (device_id, event_id));
      CREATE INDEX ledger_processed_at ON ledger (processed_at);`,
    insert: `INSERT INTO ledger (event_id, device_id, event_time, batch_id, source_partition, source_offset,
        temperature, humidity, pressure, battery, firmware)
      SELECT e, d, t, $4, 0, o, 21.5, 45, 1013, 90, '2.4.1'
      FROM unnest($1::text[], $2::text[], $3::timestamptz[], $5::bigint[]) AS i(e, d, t, o)
      ORDER BY d, e
      ON CONFLICT (device_id, event_id) DO NOTHING`,
    inTransaction: false,
    retiredDays: () => 1,
    live: () => 1,
    retire: (day) => [
      // Chunks of 10,000, as retention did, by processed_at (filled with the event's time here).
      `DO $$ BEGIN LOOP
         DELETE FROM ledger WHERE (device_id, event_id) IN (SELECT device_id, event_id FROM ledger
           WHERE processed_at < '${day}'::date + 1 ORDER BY processed_at LIMIT 10000);
         EXIT WHEN NOT FOUND; END LOOP; END $$`,
    ],
  },
  partitioned('by day', 1),
  partitioned(`by ${SPAN}-day span (0116)`, SPAN),
];

/** The 0116 layout with partitions of `span` days, aligned on multiples of it since 1970. */
function partitioned(name: string, span: number): Layout {
  const starts = (days: readonly string[]) => [...new Set(days.map((d) => spanStart(d, span)))];
  return {
    name,
    schema: `ledger_span_${span}`,
    create: (days) =>
      [
        `CREATE TABLE ledger (${COLUMNS}, PRIMARY KEY (device_id, event_id, event_time)) PARTITION BY RANGE (event_time);`,
        'CREATE TABLE ledger_default PARTITION OF ledger DEFAULT;',
        ...starts(days).map(
          (d) =>
            `CREATE TABLE ${dayName(d)} PARTITION OF ledger FOR VALUES FROM ('${d}') TO ('${d}'::date + ${span});`,
        ),
      ].join('\n'),
    insert: `INSERT INTO ledger (event_id, device_id, event_time, batch_id, source_partition, source_offset,
        temperature, humidity, pressure, battery, firmware)
      SELECT e, d, t, $4, 0, o, 21.5, 45, 1013, 90, '2.4.1'
      FROM unnest($1::text[], $2::text[], $3::timestamptz[], $5::bigint[]) AS i(e, d, t, o)
      WHERE NOT EXISTS (SELECT 1 FROM ledger p WHERE p.device_id = i.d AND p.event_id = i.e OFFSET 0)
      ORDER BY d, e
      ON CONFLICT (device_id, event_id, event_time) DO NOTHING`,
    inTransaction: true,
    retiredDays: (days) => days.filter((d) => spanStart(d, span) === spanStart(days[0]!, span)).length,
    // The fill's, today's and the default one.
    live: (days) => starts(days).length + 1,
    retire: (oldest) => [`DROP TABLE ${dayName(spanStart(oldest, span))}`],
  };
}

function spanStart(day: string, span: number): string {
  const epochDay = Date.parse(day) / 86_400_000;
  return new Date((epochDay - (epochDay % span)) * 86_400_000).toISOString().slice(0, 10);
}

const utcDay = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().slice(0, 10);

async function walBytes(client: pg.PoolClient): Promise<bigint> {
  const { rows } = await client.query<{ b: string }>(
    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS b",
  );
  return BigInt(rows[0]!.b);
}

interface Totals {
  ms: number;
  wal: bigint;
  events: number;
}

async function main(): Promise<void> {
  const config = loadStackConfig();
  const database = `bench_ledger_${process.pid}`;
  await psql(config, `CREATE DATABASE ${database} OWNER sensor_app`);
  const pool = new pg.Pool({ connectionString: directDatabaseUrl(endpoints(config), database), max: 1 });
  try {
    const client = await pool.connect();
    try {
      const days = Array.from({ length: DAYS }, (_, i) => utcDay((DAYS - i) * 86_400_000));
      const today = utcDay(0);
      for (const layout of LAYOUTS) {
        await client.query(`CREATE SCHEMA ${layout.schema}; SET search_path = ${layout.schema}`);
        await client.query(layout.create([...days, today]));
        const started = Date.now();
        for (const day of days)
          await client.query(
            `INSERT INTO ledger (event_id, device_id, event_time, batch_id, source_partition, source_offset,
               temperature, humidity, pressure, battery, processed_at)
             SELECT 'e-' || $1 || '-' || g, 'device-' || (g % 10000), $1::date + (g % 86400) * interval '1 second',
                    'fill', 0, g, 21.5, 45, 1013, 90, $1::date + (g % 86400) * interval '1 second'
             FROM generate_series(1, $2) AS g`,
            [day, ROWS_PER_DAY],
          );
        await client.query('ANALYZE ledger');
        process.stderr.write(
          `${layout.name}: ${formatCount(DAYS * ROWS_PER_DAY)} rows over ${DAYS} days in ${Math.round((Date.now() - started) / 1000)} s\n`,
        );
      }
      const totals = new Map<string, Totals>(LAYOUTS.map((l) => [l.name, { ms: 0, wal: 0n, events: 0 }]));
      for (let b = 0; b < BATCHES; b++) {
        const now = Date.now();
        const events = Array.from({ length: BATCH_EVENTS }, (_, i) => ({
          e: `new-${b}-${i}`,
          d: `device-${i % 1000}`,
          t: new Date(now - i),
        }));
        // Rotate which layout goes first, so none always meets a warmer cache.
        const order = LAYOUTS.map((_, i) => LAYOUTS[(b + i) % LAYOUTS.length]!);
        for (const layout of order) {
          await client.query(`SET search_path = ${layout.schema}`);
          const params = [
            events.map((x) => x.e),
            events.map((x) => x.d),
            events.map((x) => x.t),
            `batch-${b}`,
            events.map((_, i) => b * BATCH_EVENTS + i),
          ];
          const walBefore = await walBytes(client);
          const started = process.hrtime.bigint();
          if (layout.inTransaction) {
            await client.query('BEGIN');
            await client.query('SELECT pg_advisory_xact_lock(4210003, hashtext($1))', ['bench/0']);
            await client.query(layout.insert, params);
            await client.query('COMMIT');
          } else {
            await client.query(layout.insert, params);
          }
          const t = totals.get(layout.name)!;
          t.ms += Number(process.hrtime.bigint() - started) / 1e6;
          t.wal += (await walBytes(client)) - walBefore;
          t.events += BATCH_EVENTS;
        }
      }
      const oldest = days[0]!;
      const drops = new Map<string, { ms: number; wal: bigint }>();
      for (const layout of LAYOUTS) {
        await client.query(`SET search_path = ${layout.schema}`);
        const walBefore = await walBytes(client);
        const started = Date.now();
        for (const sql of layout.retire(oldest)) await client.query(sql);
        drops.set(layout.name, { ms: Date.now() - started, wal: (await walBytes(client)) - walBefore });
      }
      const all = [...days, today];
      console.log(
        `ledger, local Postgres: ${formatCount(DAYS * ROWS_PER_DAY)} rows over ${DAYS} days, ${BATCHES} batches of ${formatCount(BATCH_EVENTS)} new events each`,
      );
      console.log(
        'layout                     partitions  insert µs/event  insert WAL B/event  retire oldest: days  ms  WAL (MiB)',
      );
      for (const layout of LAYOUTS) {
        const t = totals.get(layout.name)!;
        const d = drops.get(layout.name)!;
        console.log(
          [
            layout.name.padEnd(26),
            String(layout.live(all)).padStart(10),
            ((t.ms * 1000) / t.events).toFixed(1).padStart(16),
            (Number(t.wal) / t.events).toFixed(0).padStart(19),
            String(layout.retiredDays(days)).padStart(20),
            String(d.ms).padStart(3),
            (Number(d.wal) / 2 ** 20).toFixed(1).padStart(10),
          ].join(' '),
        );
      }
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    await psql(config, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
