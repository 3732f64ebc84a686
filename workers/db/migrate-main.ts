/**
 * Entry point of the migration step: the worker chart's `migrate` init container (as the database's
 * owner, whose Secret only this container mounts) and `npm run migrate` locally. Applies the
 * migrations, grants the worker's role its DML, and exits; several pods at once apply each file once.
 */
import pg from 'pg';
import { loadMigrationConfig } from '../config.js';
import { createLogger, errorFields } from '../lib/logger.js';
import { migrate } from './migrate.js';
import { postgresPoolOptions } from './pool-options.js';

let log = createLogger('migrate');

async function main(): Promise<void> {
  const config = loadMigrationConfig();
  log = createLogger('migrate', config.logLevel);
  const pool = new pg.Pool(postgresPoolOptions(config, 1));
  try {
    const applied = await migrate(pool, { runtimeRole: config.runtimeRole });
    log.info('database migrated', { applied, runtimeRole: config.runtimeRole });
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  log.error('migration failed', errorFields(err));
  process.exitCode = 1;
});
