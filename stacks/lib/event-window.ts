/**
 * The event window both pipeline services must agree on (decision 0007): the bridge refuses readings
 * older than `maxEventAgeHours`, and the worker prunes the processed_events ledger, its duplicate
 * detector, after `ledgerRetentionHours`, and the batch records, the audit trail, after
 * `auditRetentionHours` (decision 0117). Set together from the environment's `pipeline.eventWindow`.
 */
export interface EventWindow {
  /** MAX_EVENT_AGE_MS: older readings go to the dead-letter topic. */
  readonly maxEventAgeHours: number;
  /** LEDGER_RETENTION_MS: how long a processed event still catches its duplicates. */
  readonly ledgerRetentionHours: number;
  /** AUDIT_RETENTION_MS: how long a batch's record (range, run, counts, output offsets) is kept. */
  readonly auditRetentionHours: number;
}

const HOUR_MS = 3600_000;

/** The services' environment variables for the window; the worker checks it again at start. */
export function eventWindowEnv(
  window: EventWindow | undefined,
  role: 'bridge' | 'worker',
): { name: string; value: string }[] {
  if (!window) return [];
  const env = [{ name: 'MAX_EVENT_AGE_MS', value: String(window.maxEventAgeHours * HOUR_MS) }];
  if (role === 'worker') {
    env.push(
      { name: 'LEDGER_RETENTION_MS', value: String(window.ledgerRetentionHours * HOUR_MS) },
      { name: 'AUDIT_RETENTION_MS', value: String(window.auditRetentionHours * HOUR_MS) },
    );
  }
  return env;
}
