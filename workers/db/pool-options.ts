/**
 * How the worker and its tools reach Postgres: a URL (the local stack, tests), or the consumer
 * Secret mounted as files (the charts), whose password is read for each new connection so that a
 * rotated password needs no restart (docs/operations.md#rotating-credentials).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PoolConfig } from 'pg';
import type { DatabaseCredentials } from '../config.js';
import { readCredentialFile } from '../lib/credential-file.js';

export function postgresPoolOptions(
  db: { readonly databaseUrl: string; readonly databaseCredentials?: DatabaseCredentials },
  max: number,
): PoolConfig {
  const c = db.databaseCredentials;
  if (!c) return { connectionString: db.databaseUrl, max };
  const read = (key: string) => readCredentialFile(join(c.dir, key));
  return {
    host: read('host'),
    port: Number(read('port')),
    database: read('dbname'),
    user: read('username'),
    // pg calls this for every new server connection.
    password: () => read('password'),
    // verify-full: the server's certificate must chain to the CA and name the host (Node checks both).
    ssl: c.sslMode === 'verify-full' ? { ca: readFileSync(c.sslRootCert!, 'utf8') } : false,
    max,
  };
}
