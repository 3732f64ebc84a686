/**
 * `npm run trace -- <eventId>`: the audit trail of one event — Kafka source offset → batch workflow
 * (ID, run, status, history) → activities → ledger, device state and rollup rows → the offset of its
 * SensorDataProcessed record.
 */
import pg from 'pg';
import { loadWorkerConfig } from '../config.js';
import type { ProcessSensorBatchInput, ProcessSensorBatchResult } from '../shared/temporal.js';
import { connectTemporal } from '../lib/temporal-client.js';

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

async function main(): Promise<number> {
  const eventId = process.argv[2];
  if (!eventId) {
    console.error('usage: npm run trace -- <eventId>');
    return 2;
  }
  const config = loadWorkerConfig();
  const pool = new pg.Pool({ connectionString: config.databaseUrl, max: 1 });
  try {
    const ledger = (
      await pool.query<LedgerRow>('SELECT * FROM processed_events WHERE event_id = $1', [eventId])
    ).rows[0];
    if (!ledger) {
      const retention = config.ledgerRetention
        ? `, or processed more than ${Math.round(config.ledgerRetention.retentionMs / 3600_000)} h ago and pruned (LEDGER_RETENTION_MS)`
        : '';
      console.log(
        `${eventId}: not in the ledger — not yet processed, dead-lettered (see ${config.topics.deadLetter}) or parked (${config.topics.parking})${retention}`,
      );
      return 1;
    }
    const batch = (await pool.query<BatchRow>('SELECT * FROM batches WHERE batch_id = $1', [ledger.batch_id]))
      .rows[0];
    console.log(
      `event ${eventId} (device ${ledger.device_id}, reading time ${ledger.event_time.toISOString()})`,
    );
    console.log(
      `1. kafka      ${batch?.source_topic ?? '?'} partition ${ledger.source_partition} offset ${ledger.source_offset}`,
    );
    console.log(
      `2. workflow   ${ledger.batch_id} run ${batch?.run_id ?? '?'} covering offsets ${batch?.first_offset}..${batch?.last_offset}`,
    );
    const { client, connection } = await connectTemporal(config.temporal);
    try {
      const handle = client.workflow.getHandle(ledger.batch_id, batch?.run_id);
      const d = await handle.describe();
      console.log(
        `             status ${d.status.name}, started ${d.startTime.toISOString()}, closed ${d.closeTime?.toISOString() ?? '-'}, ${d.historyLength} history events`,
      );
      const history = await handle.fetchHistory();
      // The claim check's audit trail in Temporal: the range, its claim and the outcome (decision 0008).
      const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      if (started?.data) {
        const input = JSON.parse(Buffer.from(started.data).toString()) as Partial<ProcessSensorBatchInput>;
        if (input.claim)
          console.log(
            `             claim ${input.claim.records} records, first ${input.claim.firstRecord}, last ${input.claim.lastRecord}`,
          );
      }
      if (d.status.name === 'COMPLETED') {
        const r = (await handle.result()) as ProcessSensorBatchResult;
        console.log(
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
      console.log(`3. activities ${steps.join(', ') || '(none recorded)'}`);
    } catch (err) {
      console.log(
        `             (workflow not found in Temporal: closed past retention? ${(err as Error).message})`,
      );
    } finally {
      await connection.close();
    }
    console.log(`4. ledger     applied at ${ledger.processed_at.toISOString()} by ${ledger.batch_id}`);
    const state = (
      await pool.query<{ last_event_id: string; last_event_at: Date }>(
        'SELECT last_event_id, last_event_at FROM device_state WHERE device_id = $1',
        [ledger.device_id],
      )
    ).rows[0];
    console.log(
      `   state      device ${ledger.device_id} last event ${state?.last_event_id} at ${state?.last_event_at.toISOString()}`,
    );
    const rollup = (
      await pool.query<{ minute: Date; count: string; temperature_min: number; temperature_max: number }>(
        `SELECT minute, count, temperature_min, temperature_max FROM metric_rollups_minute WHERE device_id = $1 AND minute = date_trunc('minute', $2::timestamptz)`,
        [ledger.device_id, ledger.event_time],
      )
    ).rows[0];
    console.log(
      `   rollup     ${rollup?.minute.toISOString()}: count ${rollup?.count}, temperature ${rollup?.temperature_min}..${rollup?.temperature_max}`,
    );
    if (!batch?.publish_offsets || !batch.published_at) {
      console.log(`5. processed  not yet published`);
      return 0;
    }
    // Messages were published in source-offset order, chunk by chunk: rank → chunk → offset.
    const rank = Number(
      (
        await pool.query<{ rank: string }>(
          'SELECT count(*) AS rank FROM processed_events WHERE batch_id = $1 AND source_offset < $2',
          [ledger.batch_id, ledger.source_offset],
        )
      ).rows[0]!.rank,
    );
    let index = rank;
    for (const send of batch.publish_offsets) {
      if (index < send.count) {
        console.log(
          `5. processed  ${config.topics.processed} partition ${send.partition} offset ${BigInt(send.baseOffset) + BigInt(index)} (published ${batch.published_at.toISOString()})`,
        );
        return 0;
      }
      index -= send.count;
    }
    console.log(`5. processed  published ${batch.published_at.toISOString()} (offset not recorded)`);
    return 0;
  } finally {
    await pool.end();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
