/**
 * A Temporal server as the cluster runs its frontend: the platform's server build with mutual TLS
 * (client certificates required, signed by the given CA) and the platform's authorization policy.
 * It persists to Postgres like the cluster's, in two databases of its own on the local stack's
 * server (dropped when it stops), apart from the local Temporal's.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort, logFile, startDaemon, stopDaemon, tailFile, waitFor } from '../lib/proc.js';
import type { Pki } from '../lib/pki.js';
import { loadStackConfig } from '../config.js';
import { psql } from '../postgres.js';
import { ensureTemporalBinaries, ensureTemporalSchema, postgresDatastore } from '../temporal.js';
import {
  TEMPORAL_AUTHORIZATION_POLICY_ENV,
  type TemporalAuthorizationPolicy,
} from '../../stacks/lib/temporal-authorization.js';

const DAEMON = 'temporal-authorizing';
/** Ports Temporal's Postgres schema can record (a smallint). */
const SMALLINT_PORTS = 32_768;

export interface AuthorizingTemporal {
  /** 127.0.0.1:<port> of the frontend. */
  readonly address: string;
  /** The name in the frontend's certificate. */
  readonly serverName: string;
  /** The last lines of the server's log (its refusals name identity, method and namespace). */
  logs(lines?: number): string;
  stop(): Promise<void>;
}

/**
 * Starts the server with `policy`. `pki` signs its frontend certificate (`temporal-frontend`,
 * serverName `localhost`); clients present certificates the same CA signed.
 */
export async function startAuthorizingTemporal(
  pki: Pki,
  policy: TemporalAuthorizationPolicy,
): Promise<AuthorizingTemporal> {
  const bins = await ensureTemporalBinaries();
  const config = loadStackConfig();
  const databases = {
    default: `temporal_authz_${process.pid}`,
    visibility: `temporal_authz_vis_${process.pid}`,
  };
  const dropDatabases = async () => {
    for (const db of Object.values(databases))
      await psql(config, `DROP DATABASE IF EXISTS ${db} WITH (FORCE)`).catch(() => undefined);
  };
  await dropDatabases();
  for (const db of Object.values(databases)) await psql(config, `CREATE DATABASE ${db} OWNER temporal`);
  await ensureTemporalSchema(bins, config, databases.default, 'temporal');
  await ensureTemporalSchema(bins, config, databases.visibility, 'visibility');
  const serverName = 'localhost';
  pki.sign(
    'temporal-frontend',
    'temporal-frontend',
    `subjectAltName=DNS:${serverName},IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'temporal-authorizing-'));
  mkdirSync(dir, { recursive: true });
  const [grpc, membership, metrics] = [await freePort(), await freePort(SMALLINT_PORTS), await freePort()];
  const ports = {
    frontend: grpc,
    history: await freePort(),
    matching: await freePort(),
    worker: await freePort(),
  };
  // The schema's cluster_membership.rpc_port is a smallint.
  const members = {
    frontend: membership,
    history: await freePort(SMALLINT_PORTS),
    matching: await freePort(SMALLINT_PORTS),
    worker: await freePort(SMALLINT_PORTS),
  };
  const service = (name: keyof typeof ports) => `  ${name}:
    rpc:
      grpcPort: ${ports[name]}
      membershipPort: ${members[name]}
      bindOnLocalHost: true`;
  const configFile = join(dir, 'config.yaml');
  writeFileSync(
    configFile,
    `log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 1
  datastores:
    default:
${postgresDatastore(config, databases.default, 20)}
    visibility:
${postgresDatastore(config, databases.visibility, 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      listenAddress: "127.0.0.1:${metrics}"
  tls:
    frontend:
      server:
        certFile: "${pki.path('temporal-frontend.crt')}"
        keyFile: "${pki.path('temporal-frontend.key')}"
        requireClientAuth: true
        clientCaFiles: ["${pki.path('ca.crt')}"]
      client:
        serverName: "${serverName}"
        rootCaFiles: ["${pki.path('ca.crt')}"]
services:
${service('frontend')}
${service('history')}
${service('matching')}
${service('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: "active"
  currentClusterName: "active"
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: "frontend"
      rpcAddress: "127.0.0.1:${grpc}"
dcRedirectionPolicy:
  policy: "noop"
`,
  );
  const policyFile = join(dir, 'policy.json');
  writeFileSync(policyFile, JSON.stringify(policy, null, 2));
  await stopDaemon(DAEMON, 10_000);
  // A fresh log: refusals read from it are this server's.
  writeFileSync(logFile(DAEMON), '');
  startDaemon({
    name: DAEMON,
    cmd: bins.server,
    args: ['--config-file', configFile, 'start'],
    cwd: dir,
    env: { ...process.env, [TEMPORAL_AUTHORIZATION_POLICY_ENV]: policyFile },
  });
  const address = `127.0.0.1:${grpc}`;
  const logs = (lines = 40) => tailFile(logFile(DAEMON), lines);
  const stop = async () => {
    await stopDaemon(DAEMON, 15_000);
    rmSync(dir, { recursive: true, force: true });
    await dropDatabases();
  };
  try {
    await waitFor(`the authorizing Temporal frontend on ${address}`, () => portOpen(grpc), {
      timeoutMs: 120_000,
      intervalMs: 500,
      daemon: DAEMON,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, serverName, logs, stop };
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
