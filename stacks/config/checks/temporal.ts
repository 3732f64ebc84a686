/**
 * The Temporal section (validate.ts): shards against the deployed record, services, and the
 * connections its pods open through the Postgres pooler.
 */
import { ASSUMPTIONS } from '../../capacity/model.js';
import { TEMPORAL_SERVICES, type DeployedRecord, type EnvironmentConfig } from '../types.js';
import type { Checker } from './checker.js';

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Client connections Temporal's pods open to the pooler, and what the pooler accepts. */
export function poolerLoad(config: EnvironmentConfig): {
  temporalPods: number;
  clientConns: number;
  poolerCapacity: number;
} {
  const { temporal: t, postgres: p } = config;
  const temporalPods = t.replicas.frontend + t.replicas.history + t.replicas.matching + t.replicas.worker;
  return {
    temporalPods,
    clientConns: temporalPods * ASSUMPTIONS.temporalDatastores * t.maxConns,
    poolerCapacity: p.pooler.instances * p.pooler.maxClientConn,
  };
}

export function checkTemporal(c: Checker, config: EnvironmentConfig, deployed: DeployedRecord): void {
  const env = config.name;
  const p = config.postgres;
  const t = config.temporal;
  c.rule(
    isPowerOfTwo(t.numHistoryShards) && t.numHistoryShards <= 16_384,
    `'temporal.numHistoryShards' (${t.numHistoryShards}) must be a power of two between 1 and 16384`,
  );
  const deployedShards = deployed.shards[env];
  c.rule(
    deployedShards === undefined || deployedShards === t.numHistoryShards,
    `'temporal.numHistoryShards' (${t.numHistoryShards}) must equal the deployed value (${deployedShards}) recorded in stacks/config/deployed-shards.json: the shard count of a Temporal cluster is fixed at creation; changing it needs a new cluster and a migration (docs/sre-guide.md)`,
  );
  for (const svc of TEMPORAL_SERVICES) {
    c.int(`temporal.replicas.${svc}`, t.replicas[svc], 1, 100);
    c.cpu(`temporal.resources.${svc}.cpu`, t.resources[svc].cpu);
    c.bytes(`temporal.resources.${svc}.memory`, t.resources[svc].memory);
  }
  c.int('temporal.webReplicas', t.webReplicas, 0, 10);
  c.int('temporal.retentionDays', t.retentionDays, 1, 3650);
  c.int('temporal.maxConns', t.maxConns, 1, 1000);
  c.int('temporal.maxIdleConns', t.maxIdleConns, 0, 1000);
  c.rule(
    t.maxIdleConns <= t.maxConns,
    `'temporal.maxIdleConns' (${t.maxIdleConns}) must be <= 'temporal.maxConns' (${t.maxConns})`,
  );
  const { temporalPods, clientConns, poolerCapacity } = poolerLoad(config);
  c.rule(
    clientConns <= poolerCapacity,
    `'temporal.maxConns' (${t.maxConns}) x ${temporalPods} Temporal pods x ${ASSUMPTIONS.temporalDatastores} datastores = ${clientConns} client connections must be <= 'postgres.pooler.maxClientConn' (${p.pooler.maxClientConn}) x 'postgres.pooler.instances' (${p.pooler.instances}) = ${poolerCapacity}`,
  );
}
