/** The worker's Prometheus metrics; names come from workers/shared/metrics.ts. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WORKER_METRICS } from '../shared/metrics.js';
import type { OpenAlertCount } from './open-alerts.js';

export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let openAlerts: (() => Promise<OpenAlertCount[]>) | undefined;
  return {
    registry,
    /** Where the open-alerts gauge reads at each scrape (the worker's pool, once it has one). */
    countOpenAlertsWith(source: () => Promise<OpenAlertCount[]>): void {
      openAlerts = source;
    },
    alertsOpen: new Gauge({
      name: WORKER_METRICS.alertsOpen,
      help: 'Device alerts not resolved, by status and escalation level (the same count from every worker)',
      labelNames: ['status', 'level'],
      registers: [registry],
      async collect() {
        this.reset();
        if (!openAlerts) return;
        try {
          for (const r of await openAlerts()) this.set({ status: r.status, level: String(r.level) }, r.count);
        } catch {
          // No sample for this scrape: a gap on the panel, never a stale count.
        }
      },
    }),
    alertTransitions: new Counter({
      name: WORKER_METRICS.alertTransitions,
      help: 'Alert transitions recorded, each once (raised, escalated, acknowledged, resolved)',
      labelNames: ['transition'],
      registers: [registry],
    }),
    eventsProcessed: new Counter({
      name: WORKER_METRICS.eventsProcessed,
      help: 'Events published as SensorDataProcessed',
      registers: [registry],
    }),
    duplicatesSkipped: new Counter({
      name: WORKER_METRICS.duplicatesSkipped,
      help: "A device's exact re-sends (same deviceId, eventId and reading), dropped with no effect",
      registers: [registry],
    }),
    eventsParked: new Counter({
      name: WORKER_METRICS.eventsParked,
      help: 'Events sent to the parking topic after a permanent failure',
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: WORKER_METRICS.deadLettered,
      help: 'Records dead-lettered, by stage (parse: undecodable or malformed; invalid-reading)',
      labelNames: ['stage'],
      registers: [registry],
    }),
    batchesParked: new Counter({
      name: WORKER_METRICS.batchesParked,
      help: 'Batches parked instead of processed, by reason (range-expired, range-replaced, records-missing, apply-failed, publish-failed)',
      labelNames: ['reason'],
      registers: [registry],
    }),
    rangeReadAge: new Histogram({
      name: WORKER_METRICS.rangeReadAge,
      help: "Age of a batch range's first record when the worker read it, seconds",
      buckets: [1, 5, 30, 60, 300, 1800, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400],
      registers: [registry],
    }),
    endToEndLatency: new Histogram({
      name: WORKER_METRICS.endToEndLatency,
      help: 'Reading timestamp to SensorDataProcessed published, seconds',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof createWorkerMetrics>;
