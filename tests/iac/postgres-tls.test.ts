/**
 * The Postgres rules the stacks give CloudNativePG, on a real Postgres server: the `pg_hba` lines
 * CnpgPostgres generates and a server certificate signed by a CA (as cert-manager issues them), then
 * connections the way the worker makes them — the role Secret's URI (`sslmode=verify-full`) plus the
 * chart's `sslrootcert`, and the role Secret mounted as files (workers/db/pool-options.ts). Proves: each role reaches only its own databases, nothing connects without
 * TLS, and verify-full checks the server's name. A throwaway server on its own port and directory.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { postgresBinDir } from '../../local/postgres.js';
import { CnpgPostgres } from '../../stacks/constructs/cnpg-postgres.js';
import { loadWorkerConfig } from '../../workers/config.js';
import { postgresPoolOptions } from '../../workers/db/pool-options.js';
import { manifests, only, synth } from '../stacks/helpers.js';
import { chownToPostgres, execPostgres as exec, freePort } from './lib/throwaway-postgres.js';

const ROLES = [
  { name: 'sensor', databases: ['sensor'], consumerNamespace: 'apps' },
  { name: 'temporal', databases: ['temporal', 'temporal_visibility'], consumerNamespace: 'temporal' },
];
const PASSWORD = { sensor: 'sensor-pw', temporal: 'temporal-pw' } as const;

let dir: string;
let port: number;
let bin: string;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

before(async () => {
  bin = postgresBinDir();
  port = await freePort();
  dir = mkdtempSync(join(tmpdir(), 'pg-tls-'));
  const data = join(dir, 'data');
  const tls = join(dir, 'tls');
  mkdirSync(tls);
  // A CA and a server certificate for `localhost` only, as cert-manager would issue them.
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    join(tls, 'ca.key'),
    '-out',
    join(tls, 'ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=test platform CA',
  ]);
  openssl([
    'req',
    ...ecKey,
    '-keyout',
    join(tls, 'tls.key'),
    '-out',
    join(tls, 'tls.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(join(tls, 'ext.cnf'), 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
  openssl([
    'x509',
    '-req',
    '-in',
    join(tls, 'tls.csr'),
    '-CA',
    join(tls, 'ca.crt'),
    '-CAkey',
    join(tls, 'ca.key'),
    '-CAcreateserial',
    '-out',
    join(tls, 'tls.crt'),
    '-days',
    '1',
    '-extfile',
    join(tls, 'ext.cnf'),
  ]);
  chmodSync(dir, 0o755);
  chmodSync(join(tls, 'tls.key'), 0o600);
  chownToPostgres(...['', 'tls', 'tls/tls.key', 'tls/tls.crt'].map((f) => join(dir, f)));
  exec(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=reject']);
  // The rules exactly as the construct gives them to CloudNativePG, after a local rule for setup
  // (CNPG's own fixed rules play that part in the cluster).
  const cluster = only(
    manifests(
      synth(
        (s) =>
          new CnpgPostgres(s, 'pg', {
            clusterName: 'pg',
            namespace: 'postgres',
            tlsIssuer: { kind: 'ClusterIssuer', name: 'ca' },
            roles: ROLES,
          }),
      ),
      'Cluster',
    ),
    'Cluster',
  );
  const hba = cluster.spec.postgresql.pg_hba as string[];
  writeFileSync(join(data, 'pg_hba.conf'), ['local all postgres trust', ...hba, ''].join('\n'));
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir}'`,
      'ssl = on',
      `ssl_cert_file = '${join(tls, 'tls.crt')}'`,
      `ssl_key_file = '${join(tls, 'tls.key')}'`,
      "password_encryption = 'scram-sha-256'",
      '',
    ].join('\n'),
  );
  exec(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', 'start']);
  // As the superuser over the server's socket (trusted locally, as pg_hba.conf says above).
  const admin = new pg.Client({ host: dir, port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  const psql = async (sql: string) => admin.query(sql);
  try {
    for (const role of ROLES) {
      await psql(`CREATE ROLE ${role.name} LOGIN PASSWORD '${PASSWORD[role.name as keyof typeof PASSWORD]}'`);
      for (const db of role.databases) await psql(`CREATE DATABASE ${db} OWNER ${role.name}`);
    }
  } finally {
    await admin.end();
  }
});

after(() => {
  if (dir) {
    try {
      exec(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
    } catch {
      /* never started */
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The worker's DATABASE_URL: the Secret's uri (construct) + `&sslrootcert=` (chart). */
function url(
  role: keyof typeof PASSWORD,
  db: string,
  opts: { host?: string; sslmode?: string } = {},
): string {
  const query = `sslmode=${opts.sslmode ?? 'verify-full'}&sslrootcert=${join(dir, 'tls', 'ca.crt')}`;
  return `postgresql://${role}:${PASSWORD[role]}@${opts.host ?? 'localhost'}:${port}/${db}?${query}`;
}

async function connect(connectionString: string): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    const { rows } = await client.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    return rows[0]?.ssl === true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

void test('each role reaches its own databases over verified TLS', async () => {
  assert.equal(await connect(url('sensor', 'sensor')), true);
  assert.equal(await connect(url('temporal', 'temporal')), true);
  assert.equal(await connect(url('temporal', 'temporal_visibility')), true);
});

void test("Temporal's role cannot reach the sensor database, the worker's role only the sensor database", async () => {
  await assert.rejects(
    connect(url('temporal', 'sensor')),
    /pg_hba\.conf rejects connection .* user "temporal", database "sensor"/,
  );
  await assert.rejects(
    connect(url('sensor', 'temporal')),
    /pg_hba\.conf rejects connection .* user "sensor", database "temporal"/,
  );
  await assert.rejects(connect(url('sensor', 'postgres')), /pg_hba\.conf rejects connection/);
});

void test('no connection without TLS, and verify-full refuses a server name the certificate does not carry', async () => {
  await assert.rejects(
    connect(`postgresql://sensor:${PASSWORD.sensor}@localhost:${port}/sensor?sslmode=disable`),
    /pg_hba\.conf rejects connection .* no encryption/,
  );
  await assert.rejects(
    connect(url('sensor', 'sensor', { host: '127.0.0.1' })),
    /does not match certificate's altnames|IP: 127\.0\.0\.1 is not in the cert's list/,
  );
});

/** The pool the worker makes from its mounted role Secret (the chart's files and CA path). */
function filesPool(host: string): pg.Pool {
  const creds = mkdtempSync(join(dir, 'creds-'));
  const files = { host, port: String(port), dbname: 'sensor', username: 'sensor', password: PASSWORD.sensor };
  for (const [k, v] of Object.entries(files)) writeFileSync(join(creds, k), v);
  writeFileSync(join(creds, 'sslmode'), 'verify-full');
  const config = loadWorkerConfig({
    DATABASE_CREDENTIALS_DIR: creds,
    DATABASE_SSL_ROOT_CERT: join(dir, 'tls', 'ca.crt'),
  });
  return new pg.Pool({ ...postgresPoolOptions(config, 1), connectionTimeoutMillis: 10_000 });
}

void test('from the mounted role Secret (files), the worker connects with verify-full and refuses a name the certificate does not carry', async () => {
  const good = filesPool('localhost');
  try {
    const { rows } = await good.query<{ ssl: boolean }>(
      'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
    );
    assert.equal(rows[0]?.ssl, true);
  } finally {
    await good.end();
  }
  const wrongName = filesPool('127.0.0.1');
  try {
    await assert.rejects(
      wrongName.query('SELECT 1'),
      /does not match certificate's altnames|IP: 127\.0\.0\.1 is not in the cert's list/,
    );
  } finally {
    await wrongName.end();
  }
});
