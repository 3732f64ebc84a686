/** Entry point of the sensor worker deployment (charts/sensor-worker). SIGTERM drains in-flight tasks. */
import { loadWorkerConfig } from '../config.js';
import { startProbeServer } from '../lib/http-server.js';
import { applyDecodeBudget, createKafka } from '../lib/kafka-client.js';
import { applyHeapGrowth } from '../lib/memory-budget.js';
import { createLogger, errorFields } from '../lib/logger.js';
import { connectTemporal } from '../lib/temporal-client.js';
import { watchTlsFiles } from '../lib/tls-reload.js';
import { startSensorWorker } from './sensor-worker.js';
import { createWorkerMetrics } from './worker-metrics.js';

// Until the configuration is read (its errors are logged too), then at its LOG_LEVEL.
let log = createLogger('sensor-worker');

async function main(): Promise<void> {
  const config = loadWorkerConfig();
  log = createLogger('sensor-worker', config.logLevel);
  applyDecodeBudget(config.memory);
  applyHeapGrowth();
  const metrics = createWorkerMetrics();
  const { connection, client } = await connectTemporal(config.temporal);
  const running = await startSensorWorker({
    config,
    kafka: createKafka(config.kafka, log),
    client,
    log,
    metrics,
  });
  const probes = await startProbeServer(
    config.metricsPort,
    metrics.registry,
    () => running.worker.getState() === 'RUNNING',
  );
  const shutdown = (signal: string) => {
    log.info('shutting down: draining in-flight tasks', { signal });
    void running.shutdown();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  const reload =
    config.tlsReload &&
    watchTlsFiles(config.tlsReload, (changed) => {
      log.info('TLS material renewed: shutting down to be restarted with it', { changed });
      shutdown('tls-renewed');
    });
  log.info('ready', { taskQueue: config.temporal.taskQueue, metricsPort: probes.port });
  await running.done;
  reload?.stop();
  await connection.close();
  await probes.close();
  log.info('stopped');
}

main().catch((err: unknown) => {
  log.error('sensor worker failed', errorFields(err));
  process.exit(1);
});
