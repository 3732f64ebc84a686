/**
 * Temporal names and message definitions shared by the bridge, the workers, the stacks and the tools:
 * namespace, task queue, workflow types, ID schemes, signals and queries.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AlertRule, EscalationPolicy } from './alert-rules.js';

export const TEMPORAL_NAMESPACE = 'sensor-pipeline';
export const TASK_QUEUE = 'sensor-processing';

export const WORKFLOW_TYPES = {
  processSensorBatch: 'processSensorBatch',
  deviceAlert: 'deviceAlert',
  pruneLedger: 'pruneLedger',
} as const;

/** The Temporal Schedule that prunes the ledger; one per task queue (each queue is one pipeline). */
export function ledgerRetentionScheduleId(taskQueue: string): string {
  return `ledger-retention:${taskQueue}`;
}

export interface PruneLedgerInput {
  /** Ledger rows whose event time is older than this go, a partition at a time (ms). */
  readonly retentionMs: number;
  /** Batch records applied longer ago than this are deleted (ms); absent in runs scheduled before it: retentionMs. */
  readonly auditRetentionMs?: number;
  /** Rows per delete statement (each table). */
  readonly chunkRows: number;
  /** Chunks per run; the next scheduled run continues where this one stopped. */
  readonly maxChunks: number;
}

export interface PruneLedgerResult {
  /** processed_events rows deleted (from its default partition). */
  readonly deleted: number;
  /** Ledger partitions dropped, a day each (absent in runs from before partitioning). */
  readonly partitionsDropped?: number;
  /** Ledger partitions created ahead. */
  readonly partitionsCreated?: number;
  /** batches rows deleted. */
  readonly batchesDeleted: number;
  /** False when the run stopped at maxChunks with expired rows left. */
  readonly complete: boolean;
}

/**
 * One batch per Kafka offset range; a redelivered batch collides with this ID on purpose. When the
 * offset already belongs to a run for another record (the topic was recreated or truncated since),
 * the new run's ID also names its first record's fingerprint (workers/bridge/batch-starter.ts).
 */
export function batchWorkflowId(
  topic: string,
  partition: number,
  firstOffset: string,
  firstRecordFingerprint?: string,
): string {
  const id = `batch:${topic}:${partition}:${firstOffset}`;
  return firstRecordFingerprint === undefined ? id : `${id}:${firstRecordFingerprint}`;
}

/**
 * Alert workflows' task queue beside a pipeline's: an alert storm's thousands of tasks wait there, not
 * in front of the batches, and every worker serves it with slots of its own (docs/reliability.md,
 * "Alert storm"). Alerts started before it exists finish on the pipeline's queue.
 */
export function alertTaskQueue(taskQueue: string): string {
  return `${taskQueue}-alerts`;
}

/** One long-running alert per device and rule; repeated breaches signal the same workflow. */
export function alertWorkflowId(deviceId: string, rule: string): string {
  return `alert:${deviceId}:${rule}`;
}

/** The offset range a batch workflow covers; also stored in its memo so the bridge can read it. */
export interface BatchRange {
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

export const BATCH_MEMO_LAST_OFFSET = 'lastOffset';
/** Memo key of the fingerprint of the range's first record: tells a redelivery from a new topic incarnation. */
export const BATCH_MEMO_FIRST_RECORD = 'firstRecord';

/**
 * What a batch workflow holds instead of its records (claim check, decision 0008): enough to find
 * them on the log and to tell whether the log still holds the same ones.
 */
export interface BatchClaim {
  /** Records the bridge saw in the range, read committed (aborted and control records excluded). */
  readonly records: number;
  /** Fingerprints (workers/lib/record-fingerprint.ts) of the range's first and last record. */
  readonly firstRecord: string;
  readonly lastRecord: string;
}

export interface ProcessSensorBatchInput {
  readonly range: BatchRange;
  readonly claim: BatchClaim;
  readonly rules: readonly AlertRule[];
  /** Readings older than this, relative to workflow time, are rejected (ms). */
  readonly maxEventAgeMs: number;
  /** Readings further in the future than this are rejected (ms). */
  readonly maxClockSkewMs: number;
}

/**
 * Why a batch's range could not be processed as claimed; each is parked with its reason and counted
 * (sensor_batch_ranges_parked_total), never skipped silently.
 *   range-expired:   the offsets are no longer on the log (retention, or a truncation below them);
 *   range-replaced:  other records sit at the offsets (the topic was recreated or truncated);
 *   records-missing: fewer records than the bridge saw (compaction since, or a lost log tail);
 *   apply-failed, publish-failed: a permanent database or broker error (the events were parked).
 */
export type ParkReason =
  'range-expired' | 'range-replaced' | 'records-missing' | 'apply-failed' | 'publish-failed';

export interface ProcessSensorBatchResult {
  readonly applied: number;
  readonly duplicates: number;
  readonly rejected: number;
  /** Records of the range that could not be parsed (dead-lettered by the worker). */
  readonly deadLettered: number;
  readonly alertSignals: number;
  readonly parked?: ParkReason;
}

export interface DeviceAlertInput {
  readonly deviceId: string;
  readonly rule: AlertRule;
  readonly escalation: EscalationPolicy;
}

/** A reading relevant to an alert: a breach (raises or keeps it open) or a normal value (may resolve it). */
export interface AlertReading {
  readonly eventId: string;
  readonly value: number;
  readonly at: number;
}

export interface Acknowledgement {
  readonly by: string;
  readonly note?: string;
}

export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

export interface AlertState {
  readonly alertId: string;
  readonly deviceId: string;
  readonly rule: string;
  readonly status: AlertStatus;
  /** 0 before any escalation, then the index of the tier reached + 1. */
  readonly level: number;
  /** Event time of the breach that raised it, epoch ms. */
  readonly raisedAt: number;
  readonly lastValue: number;
  /**
   * Event time of the newest reading applied, epoch ms: older readings are late and change nothing.
   * Absent in runs that started before readings applied in event-time order.
   */
  readonly lastReadingAt?: number;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: number;
}

export const alertReadingSignal = defineSignal<[AlertReading]>('alertReading');
export const acknowledgeSignal = defineSignal<[Acknowledgement]>('acknowledge');
export const alertStateQuery = defineQuery<AlertState>('alertState');

/**
 * How long a batch whose effects are refused for authorization is retried before it is parked, by
 * default (AUTHORIZATION_RETRY_MS): a grant, an ACL or a rotated credential takes minutes to land.
 */
export const DEFAULT_AUTHORIZATION_RETRY_MS = 10 * 60_000;
