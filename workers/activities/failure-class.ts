/**
 * Which failures of a batch's effects no retry can fix (the events are then parked), and which are a
 * moment: a database or broker down, or an authorization refused while a grant, an ACL or a rotated
 * credential is being put in place. Those are retried; an authorization refusal only for a bounded
 * window, after which it is taken for what it says and the batch is parked (issue 25, finding 7).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { PERMANENT_FAILURE } from '../shared/activity-contract.js';
import { DEFAULT_AUTHORIZATION_RETRY_MS } from '../shared/temporal.js';

/** Postgres error classes that no retry can fix: the data or the statement, not the moment, is wrong. */
const PERMANENT_SQLSTATE_CLASSES = ['22', '23', '42'];
/** ...except these: refused rights (42501) and a refused login (class 28), which a grant or a rotation fixes. */
const AUTHORIZATION_SQLSTATES = new Set(['42501']);
const AUTHORIZATION_SQLSTATE_CLASSES = new Set(['28']);

/** Kafka errors that no retry can fix. */
const PERMANENT_KAFKA_TYPES = new Set(['MESSAGE_TOO_LARGE', 'INVALID_RECORD']);
/** Kafka refusals that an ACL or a credential being put in place fixes. */
const AUTHORIZATION_KAFKA_TYPES = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
]);

export type FailureClass = 'permanent' | 'authorization' | 'transient';

export function failureClass(err: unknown): FailureClass {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
    if (AUTHORIZATION_SQLSTATES.has(code) || AUTHORIZATION_SQLSTATE_CLASSES.has(code.slice(0, 2)))
      return 'authorization';
    if (PERMANENT_SQLSTATE_CLASSES.includes(code.slice(0, 2))) return 'permanent';
  }
  const kafkaType = (err as { type?: unknown }).type;
  if (typeof kafkaType === 'string') {
    if (AUTHORIZATION_KAFKA_TYPES.has(kafkaType)) return 'authorization';
    if (PERMANENT_KAFKA_TYPES.has(kafkaType)) return 'permanent';
  }
  return 'transient';
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  const type = (err as { type?: unknown }).type;
  return `${(err as Error).message} (${typeof code === 'string' ? `SQLSTATE ${code}` : String(type)})`;
}

/** Milliseconds since this activity's first attempt was scheduled (0 outside an activity). */
function sinceFirstAttempt(): number {
  try {
    return Date.now() - Context.current().info.scheduledTimestampMs;
  } catch {
    return 0;
  }
}

/**
 * Rethrows `err`: as a non-retryable PermanentFailure when no retry can fix it, or when an
 * authorization refusal has lasted past `authorizationRetryMs` since the first attempt; as it is
 * otherwise (the workflow retries it).
 */
export function classify(err: unknown, authorizationRetryMs = DEFAULT_AUTHORIZATION_RETRY_MS): never {
  const kind = failureClass(err);
  if (kind === 'permanent') throw ApplicationFailure.nonRetryable(describe(err), PERMANENT_FAILURE);
  if (kind === 'authorization') {
    const elapsed = sinceFirstAttempt();
    if (elapsed >= authorizationRetryMs)
      throw ApplicationFailure.nonRetryable(
        `${describe(err)}; still refused ${Math.round(elapsed / 1000)} s after the first attempt`,
        PERMANENT_FAILURE,
      );
    throw ApplicationFailure.retryable(
      `${describe(err)}; retried for up to ${Math.round(authorizationRetryMs / 1000)} s in case a grant, ACL or credential is being put in place`,
      'AuthorizationRefused',
    );
  }
  throw err;
}
