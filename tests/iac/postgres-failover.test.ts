/**
 * Issue 25, finding 2: does a committed batch survive the primary's loss? On a real primary and a
 * real streaming standby (two throwaway servers), with replication as the stacks configure it: the
 * construct's `postgresql.synchronous` turned into the `synchronous_standby_names` CloudNativePG
 * writes (`ANY n (...)`; here `*` stands for the pod names), or none when it sets nothing.
 *
 * The standby falls behind (it is stopped), a batch is applied with the worker's own statement, the
 * primary is killed and the standby promoted. Asynchronous, as every environment was: the batch was
 * acknowledged, so its workflow moved on, and the promoted standby lacks it. Synchronous, as staging
 * and prod now are: the commit waits for the standby and is never acknowledged (the workflow retries
 * it on the new primary), and every acknowledged batch is there. The commit latency of both is printed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { postgresBinDir } from '../../local/postgres.js';
import { sensorData } from '../../local/testing/events.js';
import { CnpgPostgres } from '../../stacks/constructs/cnpg-postgres.js';
import { applyBatchEffects } from '../../workers/activities/batch-effects.js';
import { migrate } from '../../workers/db/migrate.js';
import type { ApplyBatchInput } from '../../workers/shared/activity-contract.js';
import { manifests, only, synth } from '../stacks/helpers.js';
import { chownToPostgres, execPostgres as exec, freePort } from './lib/throwaway-postgres.js';

const bin = postgresBinDir();
const dirs: string[] = [];

/** `synchronous_standby_names` as CloudNativePG derives it from the construct's Cluster spec. */
function standbyNames(synchronousStandbys: number): string {
  const cluster = only(
    manifests(
      synth(
        (s) =>
          new CnpgPostgres(s, 'pg', {
            clusterName: 'pg',
            namespace: 'postgres',
            tlsIssuer: { kind: 'ClusterIssuer', name: 'ca' },
            roles: [{ name: 'sensor', databases: ['sensor'], consumerNamespace: 'apps' }],
            synchronousStandbys,
          }),
      ),
      'Cluster',
    ),
    'Cluster',
  );
  const sync = cluster.spec.postgresql.synchronous as { method: string; number: number } | undefined;
  return sync ? `${sync.method.toUpperCase()} ${sync.number} (*)` : '';
}

interface Pair {
  readonly dir: string;
  readonly primary: { data: string; port: number };
  readonly standby: { data: string; port: number };
  url(port: number): string;
  ctl(data: string, ...args: string[]): void;
}

/** A primary and a streaming standby, with the given synchronous_standby_names on the primary. */
async function startPair(names: string): Promise<Pair> {
  const dir = mkdtempSync(join(tmpdir(), 'pg-failover-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  chownToPostgres(dir);
  const primary = { data: join(dir, 'primary'), port: await freePort() };
  const standby = { data: join(dir, 'standby'), port: await freePort() };
  const ctl = (data: string, ...args: string[]) =>
    void exec(join(bin, 'pg_ctl'), ['-D', data, '-l', `${data}.log`, '-w', '-t', '60', ...args]);
  exec(join(bin, 'initdb'), ['-D', primary.data, '-U', 'postgres', '--auth=trust']);
  const conf = (port: number) =>
    [`port = ${port}`, "listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, ''].join('\n');
  writeFileSync(
    join(primary.data, 'postgresql.auto.conf'),
    conf(primary.port) + `synchronous_standby_names = '${names}'\nsynchronous_commit = on\n`,
  );
  // The standby from a copy of the primary taken before it first starts (a consistent base, the same
  // system identifier), then streaming from it: what pg_basebackup -R does on a running server.
  execFileSync('cp', ['-a', primary.data, standby.data]);
  writeFileSync(join(standby.data, 'standby.signal'), '');
  chownToPostgres(join(standby.data, 'standby.signal'));
  appendFileSync(
    join(standby.data, 'postgresql.auto.conf'),
    conf(standby.port) + `primary_conninfo = 'host=${dir} port=${primary.port} user=postgres'\n`,
  );
  ctl(primary.data, 'start');
  ctl(standby.data, 'start');
  return {
    dir,
    primary,
    standby,
    url: (port) => `postgres://postgres@127.0.0.1:${port}/postgres`,
    ctl,
  };
}

function batch(batchId: string, first: number, count: number): ApplyBatchInput {
  const events = Array.from({ length: count }, (_, i) => ({
    ...sensorData(`dev-${(first + i) % 50}`, first + i),
    source: { partition: 0, offset: String(first + i) },
  }));
  return {
    batchId,
    runId: 'run-1',
    range: {
      topic: 'sensor-data',
      partition: 0,
      firstOffset: String(first),
      lastOffset: String(first + count - 1),
    },
    events,
    inBatchDuplicates: 0,
    rejected: 0,
    deadLettered: 0,
  };
}

/** Waits until the standby has replayed everything the primary wrote so far. */
async function caughtUp(primary: pg.Pool): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { rows } = await primary.query<{ behind: boolean | null }>(
      'SELECT pg_current_wal_lsn() > replay_lsn AS behind FROM pg_stat_replication',
    );
    if (rows.length > 0 && rows[0]!.behind === false) return;
    if (Date.now() > deadline) throw new Error('the standby did not catch up in 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Median wall time of `n` batch applies of `size` events, ms. */
async function applyLatency(pool: pg.Pool, prefix: string, n: number, size: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    await applyBatchEffects(
      pool,
      batch(`${prefix}-${i}`, 1_000_000 + i * size + (prefix === 'sync' ? 0 : 500_000), size),
    );
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

interface Outcome {
  readonly acknowledged: string[];
  readonly onPromoted: string[];
  readonly latencyMs: number;
}

/**
 * Applies batch `a`, stops the standby, applies batch `b` (acknowledged or not within 3 s), kills the
 * primary and promotes the standby: which batches the promoted standby holds.
 */
async function failover(synchronousStandbys: number): Promise<Outcome> {
  const pair = await startPair(standbyNames(synchronousStandbys));
  const primary = new pg.Pool({ connectionString: pair.url(pair.primary.port), max: 2 });
  // As the worker's pool does (workers/worker/sensor-worker.ts): the primary's death reaches the
  // checked-out client of the blocked commit as an 'error' event too.
  primary.on('error', () => undefined);
  primary.on('connect', (client) => client.on('error', () => undefined));
  const acknowledged: string[] = [];
  try {
    await migrate(primary);
    await applyBatchEffects(primary, batch('a', 0, 100));
    acknowledged.push('a');
    const latencyMs = await applyLatency(primary, synchronousStandbys ? 'sync' : 'async', 20, 100);
    await caughtUp(primary);
    pair.ctl(pair.standby.data, 'stop', '-m', 'fast');
    const b = applyBatchEffects(primary, batch('b', 100, 100)).then(
      () => acknowledged.push('b'),
      () => undefined,
    );
    await Promise.race([b, new Promise((r) => setTimeout(r, 3_000))]);
    pair.ctl(pair.primary.data, 'stop', '-m', 'immediate');
    await b;
    pair.ctl(pair.standby.data, 'start');
    pair.ctl(pair.standby.data, 'promote');
    const promoted = new pg.Client({ connectionString: pair.url(pair.standby.port) });
    await promoted.connect();
    try {
      const { rows } = await promoted.query<{ batch_id: string }>(
        "SELECT batch_id FROM batches WHERE batch_id IN ('a', 'b') ORDER BY batch_id",
      );
      return { acknowledged, onPromoted: rows.map((r) => r.batch_id), latencyMs };
    } finally {
      await promoted.end();
    }
  } finally {
    await primary.end().catch(() => undefined);
    for (const data of [pair.primary.data, pair.standby.data]) {
      try {
        pair.ctl(data, 'stop', '-m', 'immediate');
      } catch {
        // already stopped
      }
    }
  }
}

after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test('a failover loses no acknowledged batch with the synchronous standby staging and prod configure; asynchronous, it does', async (t) => {
  const asynchronous = await failover(0);
  assert.deepEqual(asynchronous.acknowledged, ['a', 'b'], 'asynchronous: the primary acknowledged b alone');
  assert.deepEqual(
    asynchronous.onPromoted,
    ['a'],
    'asynchronous: the promoted standby lacks b (the finding)',
  );

  const synchronous = await failover(1);
  assert.deepEqual(synchronous.acknowledged, ['a'], 'synchronous: b waited for the stopped standby');
  for (const id of synchronous.acknowledged)
    assert.ok(synchronous.onPromoted.includes(id), `acknowledged batch ${id} lost in the failover`);
  t.diagnostic(
    `median apply of a 100-event batch on one machine: ${asynchronous.latencyMs.toFixed(1)} ms asynchronous, ` +
      `${synchronous.latencyMs.toFixed(1)} ms with one synchronous standby`,
  );
});
