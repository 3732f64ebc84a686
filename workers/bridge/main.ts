/** Entry point of the ingest bridge deployment (charts/ingest-bridge). SIGTERM drains and commits. */
import { loadBridgeConfig } from '../config.js';
import { startProbeServer } from '../lib/http-server.js';
import { applyDecodeBudget, createKafka } from '../lib/kafka-client.js';
import { applyHeapGrowth } from '../lib/memory-budget.js';
import { createLogger, errorFields } from '../lib/logger.js';
import { connectTemporal } from '../lib/temporal-client.js';
import { watchTlsFiles } from '../lib/tls-reload.js';
import { createBridgeMetrics } from './bridge-metrics.js';
import { IngestBridge } from './ingest-bridge.js';

// Until the configuration is read (its errors are logged too), then at its LOG_LEVEL.
let log = createLogger('ingest-bridge');

async function main(): Promise<void> {
  const config = loadBridgeConfig();
  log = createLogger('ingest-bridge', config.logLevel);
  applyDecodeBudget(config.memory);
  applyHeapGrowth();
  const metrics = createBridgeMetrics();
  const { connection, client } = await connectTemporal(config.temporal);
  const bridge = new IngestBridge({
    config,
    kafka: createKafka(config.kafka, log),
    client,
    log,
    metrics,
    onFatal: (err) => {
      log.error('consumer stopped for good; exiting so that the bridge is restarted', errorFields(err));
      process.exit(1);
    },
    beforeCommit:
      config.failpoint === 'crash-before-commit'
        ? async () => {
            log.warn('failpoint crash-before-commit: workflows started, offsets not committed; SIGKILL');
            process.kill(process.pid, 'SIGKILL');
          }
        : undefined,
  });
  const probes = await startProbeServer(config.metricsPort, metrics.registry, () => bridge.ready);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down: finishing in-flight starts and committing', { signal });
    bridge
      .stop()
      .then(() => connection.close())
      .then(() => probes.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        log.error('unclean shutdown', errorFields(err));
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (config.tlsReload)
    watchTlsFiles(config.tlsReload, (changed) => {
      log.info('TLS material renewed: shutting down to be restarted with it', { changed });
      shutdown('tls-renewed');
    });
  await bridge.start();
  log.info('ready', { metricsPort: probes.port });
}

main().catch((err: unknown) => {
  log.error('ingest bridge failed to start', errorFields(err));
  process.exit(1);
});
