/**
 * Local Postgres: the release the cluster runs, from the pinned npm package (local/postgres-binaries.ts),
 * a data directory owned by this checkout, the same databases and roles as the CloudNativePG cluster
 * (temporal, temporal_visibility, sensors).
 * Postgres refuses to run as root, so as root it runs as the unprivileged `postgres` user, with its
 * data outside the (possibly private) checkout; see docs/decisions/0001-local-stack.md.
 */
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadStackConfig, type StackConfig } from './config.js';
import { stateDir } from './lib/paths.js';
import { assertPortFree, daemonPid, logFile, run, startDaemon, stopDaemon, waitFor } from './lib/proc.js';
import pg from 'pg';
import { packagedPostgresBinDir } from './postgres-binaries.js';
import { progress } from './progress.js';

/** A database and its owning role, created idempotently. */
export interface DatabaseSpec {
  readonly name: string;
  readonly owner: string;
  readonly password: string;
}

/** The same databases and owners as stacks/ creates on CloudNativePG. */
export const LOCAL_DATABASES: readonly DatabaseSpec[] = [
  { name: 'temporal', owner: 'temporal', password: 'temporal' },
  { name: 'temporal_visibility', owner: 'temporal', password: 'temporal' },
  { name: 'sensors', owner: 'sensor_app', password: 'sensor_app' },
];

/**
 * The role the worker runs as: DML on the tables the owner's migrations create, no DDL (the
 * migrations grant it; stacks/ gives CloudNativePG the same split, docs/decisions/0113).
 */
export const LOCAL_RUNTIME_ROLE = { name: 'sensor_worker', password: 'sensor_worker' } as const;

const NAME = 'postgres';

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

/** The OS user that owns and runs the server. */
function serverUser(): string | undefined {
  return runningAsRoot() ? 'postgres' : undefined;
}

/** Where the server's data lives: in the checkout, or (as root) in a directory the postgres user can reach. */
export function postgresDataDir(): string {
  if (!runningAsRoot()) return join(stateDir(), 'postgres');
  const id = createHash('sha256').update(stateDir()).digest('hex').slice(0, 12);
  return join('/var/tmp', `sensor-pipeline-postgres-${id}`);
}

/** The folder of initdb, pg_ctl and postgres: $STACK_PG_BIN, or the pinned package's copy. */
export function postgresBinDir(): string {
  return loadStackConfig().postgres.binDir ?? packagedPostgresBinDir();
}

/** The server's major version ("18"), from `postgres --version`. */
function serverMajor(bin: string): string {
  const out = execFileSync(join(bin, 'postgres'), ['--version'], { encoding: 'utf8' });
  const m = /\(PostgreSQL\) (\d+)/.exec(out);
  if (!m) throw new Error(`unexpected postgres --version output: ${out.trim()}`);
  return m[1]!;
}

async function ensureServerUser(user: string | undefined): Promise<void> {
  if (!user) return;
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
  } catch {
    await run('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
  }
}

function ownedBy(user: string | undefined, dir: string): void {
  if (!user) return;
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, gid);
}

export async function postgresUp(config: StackConfig): Promise<void> {
  const bin = postgresBinDir();
  const dataDir = postgresDataDir();
  const user = serverUser();
  const { port, envVar } = config.postgres.port;
  if (daemonPid(NAME) !== undefined) {
    await waitReady(config);
    // Roles and databases added since this server was started (idempotent).
    await ensureDatabases(config, LOCAL_DATABASES);
    return;
  }
  await assertPortFree(port, envVar);
  await ensureServerUser(user);
  const major = serverMajor(bin);
  const dataMajor = existsSync(join(dataDir, 'PG_VERSION'))
    ? readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim()
    : undefined;
  if (dataMajor !== undefined && dataMajor !== major) {
    // Local data is disposable: a server of another major cannot open it, so it starts afresh.
    progress(`postgres: the data directory is Postgres ${dataMajor}'s, the server ${major}: starting afresh`);
    rmSync(dataDir, { recursive: true, force: true });
  }
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    progress(`postgres: initdb into ${dataDir}`);
    rmSync(dataDir, { recursive: true, force: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    ownedBy(user, dataDir);
    const pwFile = join(dataDir, '..', `.pw-${process.pid}`);
    writeFileSync(pwFile, `${config.postgres.superPassword}\n`, { mode: 0o644 });
    try {
      await run(
        join(bin, 'initdb'),
        [
          '-D',
          dataDir,
          '-U',
          'postgres',
          `--pwfile=${pwFile}`,
          '--auth-host=scram-sha-256',
          '--auth-local=trust',
          '-E',
          'UTF8',
          '--locale=C',
        ],
        { user },
      );
    } finally {
      rmSync(pwFile, { force: true });
    }
  }
  if (runningAsRoot()) {
    const link = join(stateDir(), 'postgres');
    mkdirSync(stateDir(), { recursive: true });
    if (!existsSync(link)) symlinkSync(dataDir, link);
  }
  progress(`postgres: starting on 127.0.0.1:${port}`);
  startDaemon({
    name: NAME,
    cmd: join(bin, 'postgres'),
    args: [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      `unix_socket_directories=${dataDir}`,
      ...[...SERVER_SETTINGS, walCompression(bin)].flatMap((setting) => ['-c', setting]),
    ],
    user,
  });
  await waitReady(config);
  await ensureDatabases(config, LOCAL_DATABASES);
}

/**
 * Settings for a throughput test box that still never loses a committed transaction, passed on
 * every start (so a change reaches a data directory made by an earlier version).
 */
const SERVER_SETTINGS = [
  'max_connections=300',
  'shared_buffers=512MB',
  'work_mem=16MB',
  'max_wal_size=4GB',
  'checkpoint_timeout=15min',
  'log_min_duration_statement=2000',
] as const;

/**
 * wal_compression: lz4 where the server is built with it, as CloudNativePG's images are (at 24,000
 * events/s it lowered Postgres' CPU from 0.50 to 0.46 cores on average against pglz, BENCHMARKS.md,
 * 2026-12-01); the npm package's build has no lz4, so pglz (`on`) there.
 */
function walCompression(bin: string): string {
  const libs = execFileSync('ldd', [join(bin, 'postgres')], { encoding: 'utf8' });
  return /liblz4/.test(libs) ? 'wal_compression=lz4' : 'wal_compression=on';
}

async function waitReady(config: StackConfig): Promise<void> {
  const { port } = config.postgres.port;
  await waitFor(
    `postgres on port ${port}`,
    async () => {
      try {
        await psql(config, 'SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, daemon: NAME, intervalMs: 300 },
  );
}

/**
 * Runs SQL as the superuser over TCP and returns the last statement's rows as psql -At prints them
 * (fields joined by "|", one row a line). Several statements in one string run as one transaction.
 */
export async function psql(config: StackConfig, sql: string, database = 'postgres'): Promise<string> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port: config.postgres.port.port,
    user: 'postgres',
    password: config.postgres.superPassword,
    database,
    connectionTimeoutMillis: 5000,
  });
  // A connection ended by the server while idle (a database dropped WITH (FORCE), a restart) would
  // otherwise be an uncaught 'error' event; an error during the query still rejects the query.
  client.on('error', () => undefined);
  await client.connect();
  try {
    const results = (await client.query({ text: sql, rowMode: 'array' })) as
      pg.QueryArrayResult | pg.QueryArrayResult[];
    const last = Array.isArray(results) ? results[results.length - 1] : results;
    return (last?.rows ?? [])
      .map((row) => row.map((v) => (v === null ? '' : String(v))).join('|'))
      .join('\n');
  } finally {
    await client.end();
  }
}

export async function ensureDatabases(
  config: StackConfig,
  databases: readonly DatabaseSpec[],
): Promise<void> {
  const runtime = await psql(config, `SELECT 1 FROM pg_roles WHERE rolname = '${LOCAL_RUNTIME_ROLE.name}'`);
  if (runtime.trim() !== '1')
    await psql(
      config,
      `CREATE ROLE ${LOCAL_RUNTIME_ROLE.name} LOGIN PASSWORD '${LOCAL_RUNTIME_ROLE.password}'`,
    );
  for (const db of databases) {
    const role = await psql(config, `SELECT 1 FROM pg_roles WHERE rolname = '${db.owner}'`);
    if (role.trim() !== '1') {
      await psql(config, `CREATE ROLE ${db.owner} LOGIN PASSWORD '${db.password}'`);
    }
    const exists = await psql(config, `SELECT 1 FROM pg_database WHERE datname = '${db.name}'`);
    if (exists.trim() !== '1') {
      progress(`postgres: creating database ${db.name} (owner ${db.owner})`);
      await psql(config, `CREATE DATABASE ${db.name} OWNER ${db.owner}`);
    }
  }
}

export async function postgresDown(): Promise<boolean> {
  // SIGTERM is postgres' "smart" shutdown; stopDaemon escalates to SIGKILL only after the grace period.
  return stopDaemon(NAME, 30_000);
}

export function postgresStatus(config: StackConfig): string {
  const pid = daemonPid(NAME);
  return pid
    ? `running (pid ${pid}) on 127.0.0.1:${config.postgres.port.port}, data ${postgresDataDir()}`
    : `stopped (log ${logFile(NAME)})`;
}
