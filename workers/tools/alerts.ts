/**
 * `npm run alerts -- list [--all]` shows alerts; `npm run alerts -- ack <alertId> [--by name]`
 * acknowledges one (a signal to its workflow, which stops the escalation).
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadWorkerConfig } from '../config.js';
import { connectTemporal } from '../lib/temporal-client.js';
import { acknowledgeSignal, alertStateQuery } from '../shared/temporal.js';
import { postgresPoolOptions } from '../db/pool-options.js';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      all: { type: 'boolean', default: false },
      by: { type: 'string', default: process.env.USER ?? 'operator' },
    },
  });
  const [command, alertId] = positionals;
  const config = loadWorkerConfig();
  if (command === 'list') {
    const pool = new pg.Pool(postgresPoolOptions(config, 1));
    const { rows } = await pool.query<{
      alert_id: string;
      status: string;
      level: number;
      last_value: number;
      raised_at: Date;
      acknowledged_by: string | null;
    }>(
      `SELECT alert_id, status, level, last_value, raised_at, acknowledged_by FROM alerts
       ${values.all ? '' : "WHERE status <> 'resolved'"} ORDER BY raised_at DESC LIMIT 200`,
    );
    await pool.end();
    if (rows.length === 0) console.log(values.all ? 'no alerts' : 'no open alerts');
    for (const r of rows) {
      console.log(
        `${r.alert_id}  ${r.status.padEnd(12)} level ${r.level}  value ${r.last_value}  raised ${r.raised_at.toISOString()}${r.acknowledged_by ? `  acked by ${r.acknowledged_by}` : ''}`,
      );
    }
    return 0;
  }
  if (command === 'ack' && alertId) {
    const { client, connection } = await connectTemporal(config.temporal);
    try {
      const handle = client.workflow.getHandle(alertId);
      await handle.signal(acknowledgeSignal, { by: values.by! });
      const state = await handle.query(alertStateQuery);
      console.log(`acknowledged ${alertId} as ${values.by}: status ${state.status}, level ${state.level}`);
    } finally {
      await connection.close();
    }
    return 0;
  }
  console.error('usage: npm run alerts -- list [--all] | ack <alertId> [--by name]');
  return 2;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
