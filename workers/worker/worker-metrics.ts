/** The worker's Prometheus metrics; names come from workers/shared/metrics.ts. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { WORKER_METRICS } from '../shared/metrics.js';

export function createWorkerMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsProcessed: new Counter({
      name: WORKER_METRICS.eventsProcessed,
      help: 'Events published as SensorDataProcessed',
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
