/**
 * Temporal names and message definitions shared by the bridge, the workers, the stacks and the tools:
 * namespace, task queue, workflow types, ID schemes, signals and queries.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { AlertRule, EscalationPolicy } from './alert-rules.js';
import type { IngestedEvent } from './events.js';

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
  /** Rows processed longer ago than this are deleted (ms). */
  readonly retentionMs: number;
  /** Rows per delete statement (each table). */
  readonly chunkRows: number;
  /** Chunks per run; the next scheduled run continues where this one stopped. */
  readonly maxChunks: number;
}

export interface PruneLedgerResult {
  /** processed_events rows deleted. */
  readonly deleted: number;
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

export interface ProcessSensorBatchInput {
  readonly range: BatchRange;
  /** Schema-valid events of the range (invalid ones already went to the DLQ). */
  readonly events: readonly IngestedEvent[];
  /** Number of records in the range that the bridge dead-lettered. */
  readonly deadLettered: number;
  readonly rules: readonly AlertRule[];
  /** Readings older than this, relative to workflow time, are rejected (ms). */
  readonly maxEventAgeMs: number;
  /** Readings further in the future than this are rejected (ms). */
  readonly maxClockSkewMs: number;
}

export interface ProcessSensorBatchResult {
  readonly applied: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly alertSignals: number;
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
  readonly raisedAt: number;
  readonly lastValue: number;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: number;
}

export const alertReadingSignal = defineSignal<[AlertReading]>('alertReading');
export const acknowledgeSignal = defineSignal<[Acknowledgement]>('acknowledge');
export const alertStateQuery = defineQuery<AlertState>('alertState');
