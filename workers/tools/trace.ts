/**
 * `npm run trace -- <deviceId> <eventId>`: the audit trail of one event — Kafka source offset → batch workflow
 * (ID, run, status, history) → activities → ledger, device state and rollup rows → the offset of its
 * SensorDataProcessed record.
 * `npm run trace -- --offset <topic>/<partition>/<offset>`: the same from a Kafka record, through the
 * batch record that covered it. Batch records outlive the ledger's duplicate window (the audit
 * window, AUDIT_RETENTION_MS, decision 0117), so this still answers once the ledger row is gone.
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
  batch_id: string;
  run_id: string;
  source_topic: string;
  source_partition: number;
  first_offset: string;
  last_offset: string;
  events: number;
  applied: number;
  duplicates: number;
  rejected: number;
  dead_lettered: number;
  applied_at: Date;
  published_at: Date | null;
  publish_offsets: { partition: number; baseOffset: string; count: number }[] | null;
}

export interface TraceDeps {
  readonly pool: pg.Pool;
  readonly client: Client;
  readonly rangeReader: Pick<KafkaRangeReader, 'read'>;
  readonly topics: Pick<TopicNames, 'deadLetter' | 'parking' | 'processed'>;
  readonly ledgerRetentionMs?: number;
  readonly auditRetentionMs?: number;
}

type Say = (line: string) => void;

const hours = (ms: number | undefined) => (ms ? `${Math.round(ms / 3600_000)} h` : 'unset');

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
      ? `, or its reading is older than the duplicate window (LEDGER_RETENTION_MS, ${hours(deps.ledgerRetentionMs)}) and its ledger row is gone: trace its Kafka record with --offset <topic>/<partition>/<offset> while the batch records keep it (AUDIT_RETENTION_MS, ${hours(deps.auditRetentionMs)})`
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
  await describeWorkflow(deps, say, ledger.batch_id, batch?.run_id);
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

/**
 * The audit trail of one Kafka record of the sensor-data topic, from the batch record that covered
 * it; `found` is false when no batch record covers it (not yet applied, or past the audit window).
 */
export async function traceOffset(
  deps: TraceDeps,
  topic: string,
  partition: number,
  offset: string,
): Promise<{ found: boolean; lines: string[] }> {
  const lines: string[] = [];
  const say: Say = (line) => lines.push(line);
  const batch = (
    await deps.pool.query<BatchRow>(
      `SELECT * FROM batches WHERE source_topic = $1 AND source_partition = $2 AND first_offset <= $3
       ORDER BY first_offset DESC LIMIT 1`,
      [topic, partition, offset],
    )
  ).rows[0];
  if (!batch || BigInt(batch.last_offset) < BigInt(offset)) {
    say(
      `${topic} partition ${partition} offset ${offset}: no batch record covers it — not yet applied, or applied longer ago than the audit window (AUDIT_RETENTION_MS, ${hours(deps.auditRetentionMs)})`,
    );
    return { found: false, lines };
  }
  say(`record ${topic} partition ${partition} offset ${offset}`);
  say(`1. kafka      ${topic} partition ${partition} offset ${offset}`);
  say(
    `2. workflow   ${batch.batch_id} run ${batch.run_id} covering offsets ${batch.first_offset}..${batch.last_offset}, applied ${batch.applied_at.toISOString()}`,
  );
  say(
    `             batch record: ${batch.events} events, applied ${batch.applied}, duplicates ${batch.duplicates}, rejected ${batch.rejected}, dead-lettered ${batch.dead_lettered}`,
  );
  await describeWorkflow(deps, say, batch.batch_id, batch.run_id);
  // The record itself while Kafka keeps it: its ids lead to the ledger and the rest of the trail.
  const read = await deps.rangeReader.read({ topic, partition, firstOffset: offset, lastOffset: offset });
  const record = read.records.find((r) => r.offset === offset);
  let ids: { deviceId?: unknown; eventId?: unknown } = {};
  try {
    ids = record?.value ? (JSON.parse(record.value.toString()) as typeof ids) : {};
  } catch {
    // Not JSON: the batch record's counts say where it went (rejected or dead-lettered).
  }
  if (typeof ids.deviceId !== 'string' || typeof ids.eventId !== 'string') {
    say(
      record
        ? `4. ledger     the record names no deviceId and eventId: see the batch record's rejected and dead-lettered counts (${deps.topics.deadLetter})`
        : `4. ledger     the record is past ${topic}'s retention: the batch record above is what remains of it`,
    );
    return { found: true, lines };
  }
  const held = await deps.pool.query(
    'SELECT 1 FROM processed_events WHERE device_id = $1 AND event_id = $2',
    [ids.deviceId, ids.eventId],
  );
  say(
    held.rowCount
      ? `4. ledger     ${eventKey(ids.deviceId, ids.eventId)} is held: npm run trace -- ${ids.deviceId} ${ids.eventId} follows it on`
      : `4. ledger     ${eventKey(ids.deviceId, ids.eventId)} is not held: past the duplicate window (LEDGER_RETENTION_MS, ${hours(deps.ledgerRetentionMs)}), or one of the batch's duplicates, rejected or dead-lettered records`,
  );
  return { found: true, lines };
}

/** Steps 2 and 3 of a trail: the batch workflow's status, claim, outcome and activities. */
async function describeWorkflow(
  deps: TraceDeps,
  say: Say,
  batchId: string,
  runId: string | undefined,
): Promise<void> {
  try {
    const handle = deps.client.workflow.getHandle(batchId, runId);
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
}

const USAGE = `usage: npm run trace -- <deviceId> <eventId>   (or <deviceId>/<eventId>)
       npm run trace -- --offset <topic>/<partition>/<offset>`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const byOffset = args[0] === '--offset' ? /^(.+)\/(\d+)\/(\d+)$/.exec(args[1] ?? '') : undefined;
  // `<deviceId> <eventId>`, or the event key `<deviceId>/<eventId>` as the processed topic carries it.
  const [deviceId, eventId] = args.length > 1 ? args.slice(0, 2) : (args[0]?.split('/', 2) ?? []);
  if (args[0] === '--offset' ? !byOffset : !deviceId || !eventId) {
    console.error(USAGE);
    return 2;
  }
  const config = loadWorkerConfig();
  const pool = new pg.Pool(postgresPoolOptions(config, 1));
  const rangeReader = new KafkaRangeReader(createKafka(config.kafka, createLogger('trace', 'warn')));
  const { client, connection } = await connectTemporal(config.temporal);
  try {
    const deps: TraceDeps = {
      pool,
      client,
      rangeReader,
      topics: config.topics,
      ledgerRetentionMs: config.ledgerRetention?.retentionMs,
      auditRetentionMs: config.ledgerRetention?.auditRetentionMs,
    };
    const { found, lines } = byOffset
      ? await traceOffset(deps, byOffset[1]!, Number(byOffset[2]), byOffset[3]!)
      : await traceEvent(deps, deviceId!, eventId!);
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
