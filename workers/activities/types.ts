/**
 * The activity contract as workflow code sees it: types only, so the workflow bundle never pulls in
 * pg or kafkajs. createActivities() in ./index.ts implements exactly this interface.
 */
import type { AlertEvent, IngestedEvent } from '../shared/events.js';
import type { AlertState, BatchRange } from '../shared/temporal.js';
import type { AlertSignal, OpenAlertKey } from '../workflows/alert-planning.js';
import type { RejectedEvent } from '../workflows/reading-validation.js';

export interface BatchRef {
  readonly batchId: string;
  readonly runId: string;
  readonly range: BatchRange;
}

export interface ApplyBatchInput extends BatchRef {
  readonly events: readonly IngestedEvent[];
  readonly inBatchDuplicates: number;
  readonly rejected: number;
  readonly deadLettered: number;
}

export interface ApplyBatchResult {
  /** Events whose effects belong to this batch (first time seen, or this batch's own earlier attempt). */
  readonly applied: number;
  /** eventIds already applied by another batch: no second effect. */
  readonly duplicateEventIds: string[];
  /** Open alerts of devices in this batch, so cleared readings can resolve them. */
  readonly openAlerts: OpenAlertKey[];
}

export interface ParkInput extends BatchRef {
  readonly events: readonly IngestedEvent[];
  readonly reason: string;
  readonly step: string;
}

export interface PruneLedgerChunkInput {
  /** Rows processed longer ago than this are expired (ms). */
  readonly retentionMs: number;
  /** Rows per table and call. */
  readonly maxRows: number;
}

export interface PruneLedgerChunkResult {
  /** processed_events rows deleted. */
  readonly ledgerRows: number;
  /** batches rows deleted. */
  readonly batchRows: number;
}

export interface SensorActivities {
  /** Ledger + device state + rollups for a batch, in one Postgres transaction. */
  applyBatchEffects(input: ApplyBatchInput): Promise<ApplyBatchResult>;
  /** Publishes SensorDataProcessed for this batch's ledger rows (idempotency-key = eventId). */
  publishProcessed(ref: BatchRef): Promise<number>;
  /** Dead-letters events that failed domain validation. */
  deadLetterRejected(input: {
    readonly ref: BatchRef;
    readonly rejected: readonly RejectedEvent[];
  }): Promise<void>;
  /** Signal-with-start (breach) or signal (cleared) the alert workflows. */
  signalAlerts(signals: readonly AlertSignal[]): Promise<number>;
  /** Compensation: removes this batch's ledger rows and subtracts its rollups. */
  revertBatchEffects(ref: BatchRef): Promise<number>;
  /** Sends events that failed permanently to the parking topic, with the reason. */
  parkEvents(input: ParkInput): Promise<void>;
  /** Deletes one chunk of expired ledger and batch rows (decision 0007). */
  pruneLedgerChunk(input: PruneLedgerChunkInput): Promise<PruneLedgerChunkResult>;
  /** Records an alert transition in Postgres and publishes it to sensor-alerts. */
  recordAlertTransition(input: {
    readonly state: AlertState;
    readonly event: AlertEvent;
    readonly runId: string;
  }): Promise<void>;
}

/** Error type names that activities throw for failures that retrying cannot fix. */
export const PERMANENT_FAILURE = 'PermanentFailure';
