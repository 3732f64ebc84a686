/**
 * `npm run trace -- <deviceId> <eventId>`: the audit trail of one event — Kafka source offset → batch workflow
 * (ID, run, status, history) → activities → ledger, device state and rollup rows → the offset of its
 * SensorDataProcessed record.
 */
import type { Client } from '@temporalio/client';
import pg from 'pg';
import { loadWorkerConfig, type TopicNames } from '../config.js';
import { createKafka } from '../lib/kafka-client.js';
import { KafkaRangeReader } from '../lib/kafka-range-reader.js';
import { createLogger } from '../lib/logger.js';
import { connectTemporal } from '../lib/temporal-client.js';
import type { ProcessSensorBatchInput, ProcessSensorBatchResult } from '../shared/temporal.js';
import { eventKey } from '../shared/events.js';
import { HEADERS } from '../shared/topics.js';
import { postgresPoolOptions } from '../db/pool-options.js';

interface LedgerRow {
  event_id: string;
  device_id: string;
  event_time: Date;
  batch_id: string;
  source_partition: number;
  source_offset: string;
  processed_at: Date;
  temperature: number;
}

interface BatchRow {
  run_id: string;
  source_topic: string;
  first_offset: string;
  last_offset: string;
  events: number;
  applied: number;
  duplicates: number;
  published_at: Date | null;
  publish_offsets: { partition: number; baseOffset: string; count: number }[] | null;
}

export interface TraceDeps {
  readonly pool: pg.Pool;
  readonly client: Client;
  readonly rangeReader: Pick<KafkaRangeReader, 'read'>;
  readonly topics: Pick<TopicNames, 'deadLetter' | 'parking' | 'processed'>;
  readonly ledgerRetentionMs?: number;
}

/** The audit trail of one event, line by line; `found` is false when the ledger does not hold it. */
export async function traceEvent(
  deps: TraceDeps,
  deviceId: string,
  eventId: string,
): Promise<{ found: boolean; lines: string[] }> {
  const { pool, topics } = deps;
  const lines: string[] = [];
  const say = (line: string) => lines.push(line);
  const ledger = (
    await pool.query<LedgerRow>('SELECT * FROM processed_events WHERE device_id = $1 AND event_id = $2', [
      deviceId,
      eventId,
    ])
  ).rows[0];
  if (!ledger) {
    const retention = deps.ledgerRetentionMs
      ? `, or processed more than ${Math.round(deps.ledgerRetentionMs / 3600_000)} h ago and pruned (LEDGER_RETENTION_MS)`
      : '';
    say(
      `${eventKey(deviceId, eventId)}: not in the ledger — not yet processed, dead-lettered (see ${topics.deadLetter}) or parked (${topics.parking})${retention}`,
    );
    return { found: false, lines };
  }
  const batch = (await pool.query<BatchRow>('SELECT * FROM batches WHERE batch_id = $1', [ledger.batch_id]))
    .rows[0];
  say(`event ${eventId} (device ${ledger.device_id}, reading time ${ledger.event_time.toISOString()})`);
  say(
    `1. kafka      ${batch?.source_topic ?? '?'} partition ${ledger.source_partition} offset ${ledger.source_offset}`,
  );
  say(
    `2. workflow   ${ledger.batch_id} run ${batch?.run_id ?? '?'} covering offsets ${batch?.first_offset}..${batch?.last_offset}`,
  );
  try {
    const handle = deps.client.workflow.getHandle(ledger.batch_id, batch?.run_id);
    const d = await handle.describe();
    say(
      `             status ${d.status.name}, started ${d.startTime.toISOString()}, closed ${d.closeTime?.toISOString() ?? '-'}, ${d.historyLength} history events`,
    );
    const history = await handle.fetchHistory();
    // The claim check's audit trail in Temporal: the range, its claim and the outcome (decision 0008).
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (started?.data) {
      const input = JSON.parse(Buffer.from(started.data).toString()) as Partial<ProcessSensorBatchInput>;
      if (input.claim)
        say(
          `             claim ${input.claim.records} records, first ${input.claim.firstRecord}, last ${input.claim.lastRecord}`,
        );
    }
    if (d.status.name === 'COMPLETED') {
      const r = (await handle.result()) as ProcessSensorBatchResult;
      say(
        `             outcome applied ${r.applied}, duplicates ${r.duplicates}, rejected ${r.rejected}, dead-lettered ${r.deadLettered ?? 0}${r.parked ? `, parked: ${r.parked}` : ''}`,
      );
    }
    const steps = (history.events ?? []).flatMap((e) => {
      const marker = e.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_local_activity') return [];
      const data = marker.details?.data?.payloads?.[0]?.data;
      const name = data
        ? (JSON.parse(Buffer.from(data).toString()) as { activity_type?: string }).activity_type
        : undefined;
      return [`${name ?? 'local activity'} @ event ${e.eventId}`];
    });
    say(`3. activities ${steps.join(', ') || '(none recorded)'}`);
  } catch (err) {
    say(`             (workflow not found in Temporal: closed past retention? ${(err as Error).message})`);
  }
  say(`4. ledger     applied at ${ledger.processed_at.toISOString()} by ${ledger.batch_id}`);
  const state = (
    await pool.query<{ last_event_id: string; last_event_at: Date }>(
      'SELECT last_event_id, last_event_at FROM device_state WHERE device_id = $1',
      [ledger.device_id],
    )
  ).rows[0];
  say(
    `   state      device ${ledger.device_id} last event ${state?.last_event_id} at ${state?.last_event_at.toISOString()}`,
  );
  const rollup = (
    await pool.query<{ minute: Date; count: string; temperature_min: number; temperature_max: number }>(
      `SELECT minute, count, temperature_min, temperature_max FROM metric_rollups_minute WHERE device_id = $1 AND minute = date_trunc('minute', $2::timestamptz)`,
      [ledger.device_id, ledger.event_time],
    )
  ).rows[0];
  say(
    `   rollup     ${rollup?.minute.toISOString()}: count ${rollup?.count}, temperature ${rollup?.temperature_min}..${rollup?.temperature_max}`,
  );
  if (!batch?.publish_offsets || !batch.published_at) {
    say(`5. processed  not yet published`);
    return { found: true, lines };
  }
  // The record itself, from the sends the batch recorded: found by its idempotency key.
  for (const send of batch.publish_offsets) {
    const lastOffset = (BigInt(send.baseOffset) + BigInt(send.count) - 1n).toString();
    const read = await deps.rangeReader.read({
      topic: topics.processed,
      partition: send.partition,
      firstOffset: send.baseOffset,
      lastOffset,
    });
    const key = eventKey(deviceId, eventId);
    const record = read.records.find((r) => r.headers[HEADERS.idempotencyKey]?.toString() === key);
    if (record) {
      say(
        `5. processed  ${topics.processed} partition ${send.partition} offset ${record.offset} (published ${batch.published_at.toISOString()})`,
      );
      return { found: true, lines };
    }
  }
  say(
    `5. processed  published ${batch.published_at.toISOString()}, but not at the offsets the batch recorded (past the topic's retention?)`,
  );
  return { found: true, lines };
}

async function main(): Promise<number> {
  // `<deviceId> <eventId>`, or the event key `<deviceId>/<eventId>` as the processed topic carries it.
  const [deviceId, eventId] =
    process.argv.length > 3 ? process.argv.slice(2, 4) : (process.argv[2]?.split('/', 2) ?? []);
  if (!deviceId || !eventId) {
    console.error('usage: npm run trace -- <deviceId> <eventId>   (or <deviceId>/<eventId>)');
    return 2;
  }
  const config = loadWorkerConfig();
  const pool = new pg.Pool(postgresPoolOptions(config, 1));
  const rangeReader = new KafkaRangeReader(createKafka(config.kafka, createLogger('trace', 'warn')));
  const { client, connection } = await connectTemporal(config.temporal);
  try {
    const { found, lines } = await traceEvent(
      {
        pool,
        client,
        rangeReader,
        topics: config.topics,
        ledgerRetentionMs: config.ledgerRetention?.retentionMs,
      },
      deviceId,
      eventId,
    );
    for (const line of lines) console.log(line);
    return found ? 0 : 1;
  } finally {
    await connection.close();
    await rangeReader.close();
    await pool.end();
  }
}

if (process.argv[1]?.endsWith('trace.ts')) {
  main()
    .then((code) => process.exit(code))
    .catch((err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    });
}
