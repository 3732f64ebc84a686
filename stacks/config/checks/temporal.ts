/**
 * The Temporal section (validate.ts): the server version and shards against the deployed record, services, and the
 * connections its pods open through the Postgres pooler.
 */
import { ASSUMPTIONS } from '../../capacity/model.js';
import { TEMPORAL_CHARTS, temporalRelease } from '../../lib/temporal-releases.js';
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

/**
 * Temporal upgrades one minor version at a time (its schema upgrades are written for that): from the
 * version the record says the cluster runs to the same minor or the next, never down, never a skip.
 */
export function checkTemporalVersion(c: Checker, version: string, running: string | undefined): void {
  const known = Object.keys(TEMPORAL_CHARTS);
  c.rule(
    TEMPORAL_CHARTS[version] !== undefined,
    `'temporal.version' (${JSON.stringify(version)}) must be a server version with a chart in stacks/lib/temporal-releases.ts: ${known.join(', ')}`,
  );
  const next = temporalRelease(version);
  const now = temporalRelease(running);
  if (!next || !now) return;
  const [major, minor] = next;
  const sameOrNext = major === now[0] && (minor === now[1] || minor === now[1] + 1);
  c.rule(
    sameOrNext,
    `'temporal.version' (${version}) must be ${now[0]}.${now[1]}.x or ${now[0]}.${now[1] + 1}.x: the cluster runs ${running} (recorded in stacks/config/deployed-temporal.json), and Temporal upgrades one minor version at a time (docs/upgrades.md)`,
  );
  const older =
    next[0] < now[0] ||
    (next[0] === now[0] && (next[1] < now[1] || (next[1] === now[1] && next[2] < now[2])));
  c.rule(
    !older,
    `'temporal.version' (${version}) must not be below the deployed version (${running}, recorded in stacks/config/deployed-temporal.json): Temporal does not downgrade its schema`,
  );
}

export function checkTemporal(c: Checker, config: EnvironmentConfig, deployed: DeployedRecord): void {
  const env = config.name;
  const p = config.postgres;
  const t = config.temporal;
  checkTemporalVersion(c, t.version, deployed.temporal?.[env]);
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
  c.rule(
    typeof t.webWriteActions === 'boolean',
    `'temporal.webWriteActions' (${JSON.stringify(t.webWriteActions)}) must be true or false`,
  );
  if (t.webAuth) {
    const a = t.webAuth;
    for (const [field, url] of [
      ['issuerUrl', a.issuerUrl],
      ['callbackUrl', a.callbackUrl],
    ] as const)
      c.rule(
        /^https:\/\/[^\s/]+(\/\S*)?$/.test(url),
        `'temporal.webAuth.${field}' (${JSON.stringify(url)}) must be an https URL`,
      );
    c.rule(
      a.callbackUrl.endsWith('/auth/sso/callback'),
      `'temporal.webAuth.callbackUrl' (${JSON.stringify(a.callbackUrl)}) must end with /auth/sso/callback: the UI server's callback path`,
    );
    c.rule(a.clientId.trim() !== '', `'temporal.webAuth.clientId' ("") must name the UI's OIDC client`);
    for (const key of ['name', 'key'] as const)
      c.rule(
        a.clientSecret[key].trim() !== '',
        `'temporal.webAuth.clientSecret.${key}' ("") must name the Secret holding the client secret`,
      );
  }
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
