/**
 * Prometheus metric names emitted by the bridge and the worker. Dashboards and PrometheusRules in
 * stacks/ import these names so that a rename cannot leave a rule watching nothing.
 */
export const METRIC_PREFIX = 'sensor_';

export const BRIDGE_METRICS = {
  eventsConsumed: 'sensor_bridge_events_consumed_total',
  batchesStarted: 'sensor_bridge_batches_started_total',
  batchStartDuplicates: 'sensor_bridge_batch_start_duplicates_total',
  rejoins: 'sensor_bridge_group_rejoins_total',
  /** Offsets of sensor-data deleted before the bridge consumed them (a retention gap; one parking note each). */
  retentionGapRecords: 'sensor_bridge_retention_gap_records_total',
  inFlightBatches: 'sensor_bridge_in_flight_batches',
  pausedPartitions: 'sensor_bridge_paused_partitions',
  startLatency: 'sensor_bridge_workflow_start_seconds',
  consumerLag: 'sensor_bridge_consumer_lag',
} as const;

export const WORKER_METRICS = {
  eventsProcessed: 'sensor_worker_events_processed_total',
  duplicatesSkipped: 'sensor_worker_duplicates_skipped_total',
  endToEndLatency: 'sensor_worker_end_to_end_latency_seconds',
  /** Alert transitions recorded (raised, escalated, acknowledged, resolved), each once: by transition. */
  alertTransitions: 'sensor_worker_alert_transitions_total',
  /**
   * Device alerts not resolved, by status and escalation level, read from Postgres at each scrape:
   * every worker reports the same count, so dashboards take max(), never sum().
   */
  alertsOpen: 'sensor_worker_alerts_open',
  eventsParked: 'sensor_worker_events_parked_total',
  /** Records dead-lettered by the worker (it parses and validates the ranges it reads). */
  deadLettered: 'sensor_worker_dead_lettered_total',
  /** Batches parked because their range was not on the log as claimed, or failed permanently; by reason. */
  batchesParked: 'sensor_worker_batches_parked_total',
  /** Age of a range's first record when the worker read it: near sensor-data's retention, ranges expire. */
  rangeReadAge: 'sensor_worker_range_read_age_seconds',
} as const;

/** Ports on which each process serves /metrics, /healthz and /readyz. */
export const METRICS_PORTS = { bridge: 9464, worker: 9465 } as const;
