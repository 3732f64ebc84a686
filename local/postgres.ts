/**
 * Local Postgres: Debian's server binaries, a data directory owned by this checkout, the same
 * databases and roles as the CloudNativePG cluster (temporal, temporal_visibility, sensors).
 * Postgres refuses to run as root, so as root it runs as the unprivileged `postgres` user, with its
 * data outside the (possibly private) checkout; see docs/decisions/0001-local-stack.md.
 */
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { loadStackConfig, type StackConfig } from './config.js';
import { stateDir } from './lib/paths.js';
import {
  StackError,
  assertPortFree,
  daemonPid,
  logFile,
  run,
  startDaemon,
  stopDaemon,
  waitFor,
} from './lib/proc.js';
import { which } from './toolchain.js';
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

/** Locates initdb/pg_ctl/postgres: $STACK_PG_BIN, then Debian's versioned directories, then PATH. */
export function findPostgresBinDir(): string | undefined {
  const fromEnv = loadStackConfig().postgres.binDir;
  if (fromEnv) return fromEnv;
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const majors = readdirSync(debianRoot)
      .filter((v) => existsSync(join(debianRoot, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0]) return join(debianRoot, majors[0], 'bin');
  }
  const initdb = which('initdb');
  return initdb ? join(initdb, '..') : undefined;
}

export function postgresBinDir(): string {
  const found = findPostgresBinDir();
  if (found) return found;
  throw new StackError(
    'PostgreSQL server binaries (initdb, pg_ctl, postgres) not found. Install them ' +
      '(Debian: apt-get install postgresql) or set STACK_PG_BIN to their directory.',
  );
}

/** As root on Debian, installs the distribution's server when it is missing (what a new CI machine needs). */
async function ensurePostgresInstalled(): Promise<string> {
  if (findPostgresBinDir()) return postgresBinDir();
  if (runningAsRoot() && which('apt-get')) {
    progress("postgres: server binaries missing; installing Debian's postgresql package");
    await run('apt-get', ['update', '-qq']);
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'postgresql'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  return postgresBinDir();
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
  const bin = await ensurePostgresInstalled();
  const dataDir = postgresDataDir();
  const user = serverUser();
  const { port, envVar } = config.postgres.port;
  if (daemonPid(NAME) !== undefined) {
    await waitReady(bin, port);
    // Roles and databases added since this server was started (idempotent).
    await ensureDatabases(config, LOCAL_DATABASES);
    return;
  }
  await assertPortFree(port, envVar);
  await ensureServerUser(user);
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
      ...SERVER_SETTINGS.flatMap((setting) => ['-c', setting]),
    ],
    user,
  });
  await waitReady(bin, port);
  await ensureDatabases(config, LOCAL_DATABASES);
}

/**
 * Settings for a throughput test box that still never loses a committed transaction, passed on
 * every start (so a change reaches a data directory made by an earlier version). wal_compression:
 * lz4, not pglz (`on`): at 24,000 events/s, with a checkpoint every 2-3 minutes, it lowered
 * Postgres' CPU from 0.50 to 0.46 cores on average and from 0.82 to 0.65 at the peak
 * (BENCHMARKS.md, 2026-12-01).
 */
const SERVER_SETTINGS = [
  'max_connections=300',
  'shared_buffers=512MB',
  'work_mem=16MB',
  'max_wal_size=4GB',
  'checkpoint_timeout=15min',
  'wal_compression=lz4',
  'log_min_duration_statement=2000',
] as const;

async function waitReady(bin: string, port: number): Promise<void> {
  await waitFor(
    `postgres on port ${port}`,
    async () => {
      try {
        await run(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-t', '2']);
        return true;
      } catch {
        return false;
      }
    },
    { timeoutMs: 60_000, daemon: NAME, intervalMs: 300 },
  );
}

/** Runs SQL as the superuser over TCP. */
export async function psql(config: StackConfig, sql: string, database = 'postgres'): Promise<string> {
  const bin = postgresBinDir();
  return run(
    join(bin, 'psql'),
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(config.postgres.port.port),
      '-U',
      'postgres',
      '-d',
      database,
      '-v',
      'ON_ERROR_STOP=1',
      '-At',
      '-c',
      sql,
    ],
    { env: { ...process.env, PGPASSWORD: config.postgres.superPassword } },
  );
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
