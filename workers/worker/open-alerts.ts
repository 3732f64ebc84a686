/**
 * The device alerts not resolved, counted in Postgres for the sensor_worker_alerts_open gauge. Read at
 * each scrape from the alerts table (the partial index alerts_open_by_device keeps it to open rows),
 * since no single worker sees every alert workflow.
 */
import type { Pool, QueryConfig } from 'pg';

export interface OpenAlertCount {
  readonly status: string;
  readonly level: number;
  readonly count: number;
}

/** A scrape must not wait on a slow database: past this the gauge has no sample for the scrape. */
const QUERY_TIMEOUT_MS = 2_000;

export async function openAlertCounts(pool: Pool): Promise<OpenAlertCount[]> {
  // query_timeout (pg's, client side) is missing from its types; a timer also bounds the wait for a
  // pooled connection while every one is busy with activities.
  const query = pool.query<{ status: string; level: number; count: string }>({
    text: `SELECT status, level, count(*) AS count FROM alerts WHERE status <> 'resolved' GROUP BY status, level`,
    query_timeout: QUERY_TIMEOUT_MS,
  } as QueryConfig);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`open alerts not counted in ${QUERY_TIMEOUT_MS} ms`)),
      QUERY_TIMEOUT_MS,
    );
  });
  try {
    const { rows } = await Promise.race([query, timeout]);
    return rows.map((r) => ({ status: r.status, level: r.level, count: Number(r.count) }));
  } finally {
    clearTimeout(timer);
    query.catch(() => undefined);
  }
}
