/** The bridge's Prometheus metrics; names come from workers/shared/metrics.ts. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { BRIDGE_METRICS } from '../shared/metrics.js';

export function createBridgeMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    eventsConsumed: new Counter({
      name: BRIDGE_METRICS.eventsConsumed,
      help: 'Records consumed from the sensor-data topic',
      labelNames: ['partition'],
      registers: [registry],
    }),
    batchesStarted: new Counter({
      name: BRIDGE_METRICS.batchesStarted,
      help: 'Batch workflows started',
      registers: [registry],
    }),
    batchStartDuplicates: new Counter({
      name: BRIDGE_METRICS.batchStartDuplicates,
      help: 'Batch starts that collided with an existing run (redelivery after crash or rebalance)',
      registers: [registry],
    }),
    rejoins: new Counter({
      name: BRIDGE_METRICS.rejoins,
      help: 'Times the bridge was evicted from its consumer group and joined again as a new member',
      registers: [registry],
    }),
    // Unlabelled, so that it is exported as 0 from the start and increase() sees the first gap.
    retentionGapRecords: new Counter({
      name: BRIDGE_METRICS.retentionGapRecords,
      help: 'Records of sensor-data deleted (retention) before the bridge consumed them; each gap is a ParkedRange note on the parking topic',
      registers: [registry],
    }),
    inFlightBatches: new Gauge({
      name: BRIDGE_METRICS.inFlightBatches,
      help: 'Open batch workflows (Temporal visibility count)',
      registers: [registry],
    }),
    pausedPartitions: new Gauge({
      name: BRIDGE_METRICS.pausedPartitions,
      help: '1 while consumption is paused for backpressure',
      registers: [registry],
    }),
    startLatency: new Histogram({
      name: BRIDGE_METRICS.startLatency,
      help: 'Time to start a batch workflow',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: BRIDGE_METRICS.consumerLag,
      help: 'High watermark minus committed offset',
      labelNames: ['partition'],
      registers: [registry],
    }),
  };
}

export type BridgeMetrics = ReturnType<typeof createBridgeMetrics>;
