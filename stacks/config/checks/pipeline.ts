/**
 * The pipeline section (validate.ts): image, bridge and worker scaling, the event window against the
 * ledger's retention, and the workers' database connections next to Temporal's.
 */
import { DEFAULT_MAX_CLOCK_SKEW_MS, LEDGER_RETENTION_MARGIN_MS } from '../../../workers/config.js';
import type { EnvironmentConfig } from '../types.js';
import { DNS_LABEL, IMAGE_REPOSITORY, type Checker } from './checker.js';
import { poolerLoad } from './temporal.js';

export function checkPipeline(c: Checker, config: EnvironmentConfig): void {
  const k = config.kafka;
  const { clientConns, poolerCapacity } = poolerLoad(config);
  const pl = config.pipeline;
  c.match(
    'pipeline.image.repository',
    pl.image.repository,
    IMAGE_REPOSITORY,
    'an image repository such as ghcr.io/org/workers (lowercase, without :tag or @digest: the tag is pipeline.image.tag)',
  );
  c.match('pipeline.image.tag', pl.image.tag, /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, 'an OCI image tag');
  for (const svc of ['bridge', 'worker'] as const) {
    c.int(`pipeline.${svc}.minReplicas`, pl[svc].minReplicas, 0, 1000);
    c.int(`pipeline.${svc}.maxReplicas`, pl[svc].maxReplicas, 1, 1000);
    c.rule(
      pl[svc].minReplicas <= pl[svc].maxReplicas,
      `'pipeline.${svc}.minReplicas' (${pl[svc].minReplicas}) must be <= 'pipeline.${svc}.maxReplicas' (${pl[svc].maxReplicas})`,
    );
    c.cpu(`pipeline.${svc}.cpu`, pl[svc].cpu);
    c.bytes(`pipeline.${svc}.memory`, pl[svc].memory);
  }
  const ew = pl.eventWindow;
  c.int('pipeline.eventWindow.maxEventAgeHours', ew.maxEventAgeHours, 1, 24 * 366);
  c.int('pipeline.eventWindow.ledgerRetentionHours', ew.ledgerRetentionHours, 2, 24 * 3660);
  const ledgerFloorMs =
    ew.maxEventAgeHours * 3600_000 + DEFAULT_MAX_CLOCK_SKEW_MS + LEDGER_RETENTION_MARGIN_MS;
  c.rule(
    ew.ledgerRetentionHours * 3600_000 >= ledgerFloorMs,
    `'pipeline.eventWindow.ledgerRetentionHours' (${ew.ledgerRetentionHours}) must be >= 'pipeline.eventWindow.maxEventAgeHours' (${ew.maxEventAgeHours}) + ${(DEFAULT_MAX_CLOCK_SKEW_MS + LEDGER_RETENTION_MARGIN_MS) / 60_000} minutes (clock skew and margin): a pruned ledger row no longer catches a duplicate that the bridge still accepts (decision 0007)`,
  );
  c.int('pipeline.eventWindow.auditRetentionHours', ew.auditRetentionHours, 2, 24 * 3660);
  c.rule(
    ew.auditRetentionHours >= ew.ledgerRetentionHours,
    `'pipeline.eventWindow.auditRetentionHours' (${ew.auditRetentionHours}) must be >= 'pipeline.eventWindow.ledgerRetentionHours' (${ew.ledgerRetentionHours}): an event the ledger still holds is traced through its batch record (decision 0117)`,
  );
  const partitions = k.topics.sensorData?.partitions ?? 0;
  c.rule(
    pl.bridge.maxReplicas <= partitions,
    `'pipeline.bridge.maxReplicas' (${pl.bridge.maxReplicas}) must be <= 'kafka.topics.sensorData.partitions' (${partitions}): consumers beyond the partition count idle`,
  );
  c.int('pipeline.bridge.lagThreshold', pl.bridge.lagThreshold, 1);
  c.int('pipeline.worker.targetQueueSize', pl.worker.targetQueueSize, 1);
  c.int('pipeline.worker.databasePoolSize', pl.worker.databasePoolSize, 1, 1000);
  const workerConns = pl.worker.maxReplicas * pl.worker.databasePoolSize;
  c.rule(
    workerConns + clientConns <= poolerCapacity,
    `'pipeline.worker.maxReplicas' (${pl.worker.maxReplicas}) x 'pipeline.worker.databasePoolSize' (${pl.worker.databasePoolSize}) = ${workerConns} worker connections + ${clientConns} Temporal connections must be <= the pooler's ${poolerCapacity} client connections ('postgres.pooler.maxClientConn' x 'postgres.pooler.instances')`,
  );
  c.match('pipeline.worker.deploymentName', pl.worker.deploymentName, DNS_LABEL, 'a DNS label');
  c.match(
    'pipeline.worker.buildId',
    pl.worker.buildId,
    /^[A-Za-z0-9_.-]{1,255}$/,
    'a build ID of letters, digits, _ . -',
  );
}
