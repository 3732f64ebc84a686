/**
 * createActivities(deps): every activity of the pipeline, bound to the clients it needs. Tests pass
 * real clients pointed at the local servers; the worker passes the production ones.
 */
import type { Client } from '@temporalio/client';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import type { KafkaRangeReader } from '../lib/kafka-range-reader.js';
import { ConcurrencyLimit } from '../lib/concurrency-limit.js';
import { PROCESSED_RECORD_BYTES, type MemoryGate } from '../lib/memory-budget.js';
import type { EscalationPolicy } from '../shared/alert-rules.js';
import type { ParkReason } from '../shared/temporal.js';
import { recordAlertTransition, signalAlerts } from './alerts.js';
import { maintainLedgerPartitions, pruneLedgerChunk } from './ledger-retention.js';
import { processRange } from './process-range.js';
import type { SensorActivities } from '../shared/activity-contract.js';
import { DEFAULT_AUTHORIZATION_RETRY_MS } from '../shared/temporal.js';
import { classify } from './failure-class.js';

export interface ActivityTopics {
  readonly processed: string;
  readonly alerts: string;
  readonly deadLetter: string;
  readonly parking: string;
}

export interface ActivityDeps {
  readonly pool: Pool;
  readonly producer: Producer;
  /** Reads a batch's records from Kafka (claim check). */
  readonly rangeReader: Pick<KafkaRangeReader, 'read'>;
  readonly temporal: Client;
  readonly taskQueue: string;
  readonly topics: ActivityTopics;
  readonly escalation: EscalationPolicy;
  /** Alert signals in flight at once, over every batch of the process. */
  readonly alertSignalConcurrency: number;
  /**
   * Admits a batch by the memory its records will hold (PROCESSED_RECORD_BYTES each), so that the
   * ranges in process stay within the worker's budget whatever their size; unset: no bound.
   */
  readonly rangeMemory?: MemoryGate;
  /** Partition count of the processed topic (cached by the caller). */
  readonly processedPartitions: () => Promise<number>;
  readonly observeLatency?: (seconds: number) => void;
  readonly onDeadLettered?: (kind: string, count: number) => void;
  readonly onParked?: (reason: ParkReason, events: number) => void;
  readonly onRangeAge?: (seconds: number) => void;
  readonly onDuplicates?: (count: number) => void;
  /** An alert transition recorded for the first time (a retry of the same one is not counted). */
  readonly onAlertTransition?: (transition: string) => void;
  /** Alertmanager's base URL (ALERTMANAGER_URL); unset: transitions go to the alerts topic only. */
  readonly alertmanagerUrl?: string;
  /** How long a refused authorization is retried before the batch is parked (AUTHORIZATION_RETRY_MS). */
  readonly authorizationRetryMs?: number;
}

export function createActivities(deps: ActivityDeps): SensorActivities {
  const alertDeps = {
    ...deps,
    alertsTopic: deps.topics.alerts,
    signalLimit: new ConcurrencyLimit(deps.alertSignalConcurrency),
  };
  return {
    processRange: async (input) => {
      const release = await deps.rangeMemory?.acquire(input.claim.records * PROCESSED_RECORD_BYTES);
      try {
        return await processRange(
          {
            ...deps,
            processedTopic: deps.topics.processed,
            deadLetterTopic: deps.topics.deadLetter,
            parkingTopic: deps.topics.parking,
            permanent: (err) => classify(err, deps.authorizationRetryMs ?? DEFAULT_AUTHORIZATION_RETRY_MS),
          },
          input,
        );
      } finally {
        release?.();
      }
    },
    signalAlerts: (signals) => signalAlerts(alertDeps, signals),
    pruneLedgerChunk: (input) => pruneLedgerChunk(deps.pool, input),
    maintainLedgerPartitions: (input) => maintainLedgerPartitions(deps.pool, input),
    recordAlertTransition: (input) => recordAlertTransition(alertDeps, input),
  };
}
