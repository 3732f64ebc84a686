/**
 * Local PgBouncer in transaction mode in front of the local Postgres: the workers reach Postgres
 * through the CNPG Pooler in transaction mode in the cluster, so they do here too. A session feature
 * that breaks behind a transaction pooler (a session advisory lock released by a later statement, a
 * named prepared statement, a SET) breaks in every test, not first in production.
 * Debian's package, installed on first use as root; it runs as the `postgres` user (PgBouncer refuses
 * root), with its settings in a folder beside the Postgres data directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import type { StackConfig } from './config.js';
import { LOCAL_DATABASES, LOCAL_RUNTIME_ROLE, postgresDataDir } from './postgres.js';
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
import { progress } from './progress.js';
import { which } from './toolchain.js';

const NAME = 'pgbouncer';

function runningAsRoot(): boolean {
  return process.getuid?.() === 0;
}

function pgbouncerBinary(): string | undefined {
  return which('pgbouncer') ?? (existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : undefined);
}

async function ensureInstalled(): Promise<string> {
  const found = pgbouncerBinary();
  if (found) return found;
  if (runningAsRoot() && which('apt-get')) {
    progress("pgbouncer: missing; installing Debian's pgbouncer package");
    await run('apt-get', ['update', '-qq']);
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'pgbouncer'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const installed = pgbouncerBinary();
  if (installed) return installed;
  throw new StackError('PgBouncer not found. Install it (Debian: apt-get install pgbouncer).');
}

/** The roles that log in through the pooler: the same passwords as their Postgres roles. */
function userList(config: StackConfig): string {
  const roles = new Map(LOCAL_DATABASES.map((d) => [d.owner, d.password]));
  roles.set(LOCAL_RUNTIME_ROLE.name, LOCAL_RUNTIME_ROLE.password);
  roles.set('postgres', config.postgres.superPassword);
  return [...roles].map(([user, password]) => `"${user}" "${password}"`).join('\n') + '\n';
}

/**
 * Transaction pooling for every database (`*`: each test's own database too), SCRAM to the clients
 * and to Postgres with the same passwords. Pool sizes leave room under Postgres' max_connections
 * (300) for Temporal and direct connections.
 */
function settings(config: StackConfig, dir: string): string {
  return `[databases]
* = host=127.0.0.1 port=${config.postgres.port.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${config.postgres.poolerPort.port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${join(dir, 'userlist.txt')}
pool_mode = transaction
max_client_conn = 2000
default_pool_size = 20
max_db_connections = 60
server_login_retry = 1
ignore_startup_parameters = extra_float_digits,options
pidfile =
logfile =
log_connections = 0
log_disconnections = 0
`;
}

/** Beside the Postgres data directory, where the postgres user can read it (as root: outside the checkout). */
export function pgbouncerConfigDir(): string {
  const data = postgresDataDir();
  return runningAsRoot()
    ? data.replace('sensor-pipeline-postgres-', 'sensor-pipeline-pgbouncer-')
    : join(dirname(data), NAME);
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function pgbouncerUp(config: StackConfig): Promise<void> {
  const { port, envVar } = config.postgres.poolerPort;
  if (daemonPid(NAME) !== undefined) {
    // A pooler started by an earlier version may lack a role added since: start it again with the
    // current list (it runs under runuser, which does not pass a reload signal on).
    const file = join(pgbouncerConfigDir(), 'userlist.txt');
    const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (current === userList(config)) return waitListening(port);
    progress('pgbouncer: restarting with the current roles');
    await pgbouncerDown();
  }
  const bin = await ensureInstalled();
  await assertPortFree(port, envVar);
  const dir = pgbouncerConfigDir();
  mkdirSync(dir, { recursive: true });
  const user = runningAsRoot() ? 'postgres' : undefined;
  writeFileSync(join(dir, 'userlist.txt'), userList(config), { mode: 0o644 });
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(ini, settings(config, dir), { mode: 0o644 });
  progress(`pgbouncer: starting on 127.0.0.1:${port} (transaction mode, in front of postgres)`);
  startDaemon({ name: NAME, cmd: bin, args: [ini], user });
  await waitListening(port);
}

async function waitListening(port: number): Promise<void> {
  await waitFor(`pgbouncer on port ${port}`, () => listening(port), {
    timeoutMs: 30_000,
    daemon: NAME,
    intervalMs: 200,
  });
}

export async function pgbouncerDown(): Promise<boolean> {
  return stopDaemon(NAME, 10_000);
}

export function pgbouncerStatus(config: StackConfig): string {
  const pid = daemonPid(NAME);
  return pid
    ? `running (pid ${pid}) on 127.0.0.1:${config.postgres.poolerPort.port}, transaction mode`
    : `stopped (log ${logFile(NAME)})`;
}
