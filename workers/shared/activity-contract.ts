/**
 * The activity contract as workflow code sees it: types, and the one failure type workflows name, so
 * the workflow bundle never pulls in pg or kafkajs. createActivities() in workers/activities/index.ts
 * implements exactly this interface. Here, not under activities/, so that workflows and activities
 * both import it from below.
 */
import type { AlertRule } from './alert-rules.js';
import type { AlertEvent, IngestedEvent } from './events.js';
import type { AlertReading, AlertState, BatchClaim, BatchRange, ParkReason } from './temporal.js';

/** An alert workflow to signal, as a batch plans it (workers/activities/alert-planning.ts). */
export interface AlertSignal {
  readonly deviceId: string;
  readonly rule: AlertRule;
  readonly reading: AlertReading;
  /** true: signal-with-start; false: signal only if the alert runs. */
  readonly breach: boolean;
  /**
   * Breaches: event time of the device's newest reading in the batch. A newer reading of the device
   * already applied by another batch makes the breach late: it starts no alert (activities/alerts.ts).
   */
  readonly newestInBatchAt?: number;
}

/** An alert that is open, by device and rule. */
export interface OpenAlertKey {
  readonly deviceId: string;
  readonly rule: string;
}

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

/** Where an event already in the ledger came from: the other half of a conflict's report. */
export interface LedgerOrigin {
  readonly batchId: string;
  readonly partition: number;
  readonly offset: string;
}

/** An event of this batch whose (deviceId, eventId) another batch already applied. */
export interface LedgerRepeat {
  readonly deviceId: string;
  readonly eventId: string;
  /** The ledger's row differs in time or readings: the same ids for another reading (invariant 5). */
  readonly conflict: boolean;
  /** Unknown when the other batch committed while this statement ran (seen as a duplicate). */
  readonly original?: LedgerOrigin;
}

/** An event the database refused for what it holds (SQLSTATE class 22, 23 or 54): invariant 6. */
export interface RefusedEvent {
  readonly deviceId: string;
  readonly eventId: string;
  readonly reason: string;
}

export interface ApplyBatchResult {
  /** Events whose effects belong to this batch (first time seen, or this batch's own earlier attempt). */
  readonly applied: number;
  /** Events another batch already applied: exact re-sends (no effect) and conflicts (dead-lettered). */
  readonly repeats: LedgerRepeat[];
  /** Events the database refused; the rest of the batch is applied without them. */
  readonly refused: RefusedEvent[];
  /** Open alerts of devices in this batch, so cleared readings can resolve them. */
  readonly openAlerts: OpenAlertKey[];
  /** When the batch's effects were first committed, epoch ms: the processedAt of its events. */
  readonly appliedAt: number;
}

export interface ProcessRangeInput extends BatchRef {
  readonly claim: BatchClaim;
  readonly rules: readonly AlertRule[];
  /** The workflow's clock when the batch started, and the event window around it (ms). */
  readonly now: number;
  readonly maxEventAgeMs: number;
  readonly maxClockSkewMs: number;
}

export interface ProcessRangeResult {
  readonly applied: number;
  readonly duplicates: number;
  /** Schema-valid readings outside their range or the time window (dead-lettered). */
  readonly rejected: number;
  /** Records that could not be decoded or parsed (dead-lettered). */
  readonly deadLettered: number;
  /** Alert signals for the workflow to send (breaches and clears of this batch's new events). */
  readonly signals: AlertSignal[];
  readonly parked?: ParkReason;
}

export interface ParkInput extends BatchRef {
  readonly events: readonly IngestedEvent[];
  readonly reason: string;
  readonly step: string;
}

export interface LedgerPartitionsInput {
  /** A partition goes once all its days are older than this (ms). */
  readonly retentionMs: number;
  /** Days per new partition; unset: sized from the retention (workers/shared/ledger-partitions.ts). */
  readonly spanDays?: number;
}

export interface LedgerPartitionsResult {
  /** Partitions created (today and the days ahead). */
  readonly created: number;
  /** Partitions dropped, each a span of days of the ledger. */
  readonly dropped: number;
}

export interface PruneLedgerChunkInput {
  /** Ledger rows (of the default partition) whose event time is older than this are expired (ms). */
  readonly retentionMs: number;
  /** Batch records applied longer ago than this are expired (ms); absent: retentionMs. */
  readonly auditRetentionMs?: number;
  /** Rows per table and call. */
  readonly maxRows: number;
}

export interface PruneLedgerChunkResult {
  /** processed_events rows deleted from its default partition (days that had no partition). */
  readonly ledgerRows: number;
  /** batches rows deleted. */
  readonly batchRows: number;
}

export interface SensorActivities {
  /**
   * The whole data plane of a batch (claim check, decision 0008): reads the range from Kafka, checks
   * it is the claimed one, parses and validates, dead-letters what is malformed, applies the effects
   * in one Postgres transaction and publishes SensorDataProcessed. Idempotent: a retry re-reads the
   * range and finds its own ledger rows.
   */
  processRange(input: ProcessRangeInput): Promise<ProcessRangeResult>;
  /** Signal-with-start (breach) or signal (cleared) the alert workflows. */
  signalAlerts(signals: readonly AlertSignal[]): Promise<number>;
  /** Deletes one chunk of expired ledger and batch rows (decision 0007). */
  pruneLedgerChunk(input: PruneLedgerChunkInput): Promise<PruneLedgerChunkResult>;
  maintainLedgerPartitions(input: LedgerPartitionsInput): Promise<LedgerPartitionsResult>;
  /** Records an alert transition in Postgres and publishes it to sensor-alerts. */
  recordAlertTransition(input: {
    readonly state: AlertState;
    readonly event: AlertEvent;
    readonly runId: string;
  }): Promise<void>;
}

/** Error type names that activities throw for failures that retrying cannot fix. */
export const PERMANENT_FAILURE = 'PermanentFailure';
