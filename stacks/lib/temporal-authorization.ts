/**
 * Who may call what on the Temporal frontend: the policy the platform's Temporal server enforces
 * (temporal-server/authorization.go, decision 0114). An identity is a client certificate's common
 * name; an identity the policy does not name may call nothing but the health checks, so a
 * certificate that merely chains to the platform CA gets no access.
 *
 * Entries are API method names or a keyword: `read` (every read-only API), `write` (read-only and
 * write APIs), `admin` (everything). The lists are what each workload's code calls (each list names
 * where); tests/local/temporal-authorization.test.ts runs the real pipeline through the server with
 * this policy and fails on any refusal of the bridge or the worker.
 */

/** The variable naming the policy file (temporal-server/main.go's PolicyEnv). */
export const TEMPORAL_AUTHORIZATION_POLICY_ENV = 'TEMPORAL_AUTHORIZATION_POLICY';

export interface TemporalGrants {
  /** Cluster-scoped APIs (GetSystemInfo, ListNamespaces, ...). */
  readonly cluster: readonly string[];
  /** Per Temporal namespace; `*` is every namespace. */
  readonly namespaces: Readonly<Record<string, readonly string[]>>;
}

export interface TemporalAuthorizationPolicy {
  readonly identities: Readonly<Record<string, TemporalGrants>>;
}

export interface TemporalIdentities {
  /** The ingest bridge's certificate common name (its release name). */
  readonly bridge: string;
  /** The sensor worker's (its release name). */
  readonly worker: string;
  /** The Web UI's own client certificate. */
  readonly ui: string;
  /** Operators' tools (the temporal CLI with the admin certificate, the schema and namespace jobs). */
  readonly admin: string;
  /** The server's own certificates (frontend, internode): its services call each other. */
  readonly server: readonly string[];
}

/** Every client: the SDK reads its namespace's settings. (GetSystemInfo is open to all, like health checks.) */
const NAMESPACE_READ = ['DescribeNamespace'];

/**
 * The bridge starts batch workflows (workers/bridge/batch-starter.ts), describes one whose ID is
 * taken, and lists and counts open ones for backpressure (workers/bridge/backpressure.ts).
 */
const BRIDGE = [
  ...NAMESPACE_READ,
  'StartWorkflowExecution',
  'DescribeWorkflowExecution',
  'ListWorkflowExecutions',
  'CountWorkflowExecutions',
];

/**
 * The worker polls its task queues and completes their tasks (the SDK); its alert activity signals
 * device-alert workflows, with signal-with-start (workers/activities/alerts.ts); it keeps the
 * ledger-retention schedule (workers/worker/ledger-retention-schedule.ts) and, when told to, makes
 * its deployment version current (workers/worker/versioning.ts).
 */
const WORKER = [
  ...NAMESPACE_READ,
  'PollWorkflowTaskQueue',
  'PollActivityTaskQueue',
  'RespondWorkflowTaskCompleted',
  'RespondWorkflowTaskFailed',
  'RespondQueryTaskCompleted',
  'RespondActivityTaskCompleted',
  'RespondActivityTaskFailed',
  'RespondActivityTaskCanceled',
  'RecordActivityTaskHeartbeat',
  'RecordWorkerHeartbeat',
  'ResetStickyTaskQueue',
  'ShutdownWorker',
  'SignalWorkflowExecution',
  'SignalWithStartWorkflowExecution',
  'CreateSchedule',
  'DescribeSchedule',
  'UpdateSchedule',
  'SetWorkerDeploymentCurrentVersion',
];

/** The policy for the platform's identities; the UI may write only when its write actions are on. */
export function temporalAuthorizationPolicy(
  ids: TemporalIdentities,
  namespace: string,
  opts: { uiWrites: boolean },
): TemporalAuthorizationPolicy {
  const all = { cluster: ['admin'], namespaces: { '*': ['admin'] } };
  return {
    identities: {
      [ids.bridge]: { cluster: [], namespaces: { [namespace]: BRIDGE } },
      [ids.worker]: { cluster: [], namespaces: { [namespace]: WORKER } },
      [ids.ui]: { cluster: ['read'], namespaces: { '*': [opts.uiWrites ? 'write' : 'read'] } },
      [ids.admin]: all,
      ...Object.fromEntries(ids.server.map((s) => [s, all])),
    },
  };
}
