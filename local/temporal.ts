/**
 * Local Temporal: the platform's server (temporal-server/: go.temporal.io/server at the chart's
 * version with the platform's authorization, off here) on the local Postgres, with the same two databases as the cluster, and the `temporal` CLI as admin tool.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig, type StackConfig } from './config.js';
import { cacheDir, stateDir } from './lib/paths.js';
import {
  StackError,
  assertPortFree,
  daemonPid,
  logFile,
  run,
  startDaemon,
  stopDaemon,
  waitFor,
} from './lib/proc.js';
import { LOCAL_DATABASES, psql } from './postgres.js';
import { progress } from './progress.js';
import { requireGo } from './toolchain.js';
import { TEMPORAL_MODULES, VERSIONS } from './versions.js';
import { TEMPORAL_NAMESPACE } from '../workers/shared/temporal.js';
import { TEMPORAL_SERVER_SOURCE, temporalServerSourceHash } from '../stacks/lib/temporal-server-image.js';

const NAME = 'temporal';
/** Retention of closed workflows in the pipeline namespace, as in the cluster. */
const NAMESPACE_RETENTION = '72h';

export interface TemporalBinaries {
  readonly server: string;
  readonly sqlTool: string;
  readonly cli: string;
}

/** `go install`s the given packages at a version into dir/bin, atomically (a killed build leaves no half binary). */
async function goInstall(
  dir: string,
  pkgs: ReadonlyArray<readonly [pkg: string, binName: string, installAs: string]>,
  version: string,
): Promise<void> {
  requireGo();
  const staging = join(dir, 'bin.partial');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const started = Date.now();
  const ticker = setInterval(
    () =>
      progress(
        `  still building ${pkgs.map(([, name]) => name).join(', ')} (${Math.round((Date.now() - started) / 1000)} s)`,
      ),
    30_000,
  );
  try {
    await run('go', ['install', ...pkgs.map(([pkg]) => `${pkg}@v${version}`)], {
      env: {
        ...process.env,
        GOBIN: staging,
        GOFLAGS: `${loadStackConfig().toolchain.goFlags ?? ''} -buildvcs=false`.trim(),
      },
    });
  } finally {
    clearInterval(ticker);
  }
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  for (const [, binName, installAs] of pkgs) renameSync(join(staging, binName), join(bin, installAs));
  rmSync(staging, { recursive: true, force: true });
}

/**
 * The platform's server (temporal-server/: upstream's server with the platform's authorization),
 * built once per source into the cache.
 */
async function ensurePlatformServer(): Promise<string> {
  const dir = join(cacheDir(), `temporal-platform-server-${temporalServerSourceHash()}`);
  const binary = join(dir, 'bin', 'temporal-server');
  if (existsSync(binary)) return binary;
  requireGo();
  progress(
    `temporal: building the platform's server (${VERSIONS.temporalServer}) from temporal-server/ (first run only: 5-20 min on 2 cores, depending on load)`,
  );
  const started = Date.now();
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  try {
    await run(
      'go',
      ['build', '-trimpath', '-ldflags=-s -w', '-o', join(staging, 'bin', 'temporal-server'), '.'],
      {
        cwd: TEMPORAL_SERVER_SOURCE,
        env: {
          ...process.env,
          CGO_ENABLED: '0',
          GOFLAGS: `${loadStackConfig().toolchain.goFlags ?? ''} -buildvcs=false`.trim(),
        },
      },
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  progress(`temporal: server built in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/** Binaries from $TEMPORAL_SERVER_BIN / $TEMPORAL_SQL_TOOL_BIN / $TEMPORAL_CLI_BIN, or built once into the cache. */
export async function ensureTemporalBinaries(): Promise<TemporalBinaries> {
  const toolsDir = join(cacheDir(), `temporal-server-${VERSIONS.temporalServer}`);
  const cliDir = join(cacheDir(), `temporal-cli-${VERSIONS.temporalCli}`);
  const given = loadStackConfig().temporal.binaries;
  const server = given.server ?? (await ensurePlatformServer());
  const sqlTool = given.sqlTool ?? join(toolsDir, 'bin', 'temporal-sql-tool');
  const cli = given.cli ?? join(cliDir, 'bin', 'temporal');
  if (!existsSync(sqlTool)) {
    progress(`temporal: building the SQL schema tool ${VERSIONS.temporalServer} (first run only)`);
    const started = Date.now();
    await goInstall(
      toolsDir,
      [[TEMPORAL_MODULES.sqlTool, 'sql', 'temporal-sql-tool']],
      VERSIONS.temporalServer,
    );
    progress(`temporal: SQL schema tool built in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  if (!existsSync(cli)) {
    progress(`temporal: building CLI ${VERSIONS.temporalCli} (first run only: 3-12 min)`);
    const started = Date.now();
    await goInstall(cliDir, [[TEMPORAL_MODULES.cli, 'temporal', 'temporal']], VERSIONS.temporalCli);
    progress(`temporal: CLI built in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  return { server, sqlTool, cli };
}

/** A datastore of the server's config on the local Postgres: the cluster's postgres12 plugin, role temporal. */
export function postgresDatastore(config: StackConfig, database: string, maxConns: number): string {
  return `      sql:
        pluginName: "postgres12"
        databaseName: "${database}"
        connectAddr: "127.0.0.1:${config.postgres.port.port}"
        connectProtocol: "tcp"
        user: "temporal"
        password: "temporal"
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: "1h"`;
}

function serverConfig(config: StackConfig, dynamicConfigFile: string): string {
  const grpc = config.temporal.port.port;
  const member = config.temporal.membershipBasePort.port;
  const store = (db: string, maxConns: number) => postgresDatastore(config, db, maxConns);
  const service = (name: string, offset: number, extra = '') => `  ${name}:
    rpc:
      grpcPort: ${grpc + offset}
      membershipPort: ${member + offset}
      bindOnLocalHost: true${extra}`;
  return `# Written by local/temporal.ts. Same persistence layout as the cluster: postgres12 plugin,
# databases temporal and temporal_visibility owned by role temporal.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: ${config.temporal.numHistoryShards}
  datastores:
    default:
${store('temporal', 40)}
    visibility:
${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: "127.0.0.1"
  metrics:
    prometheus:
      framework: "tally"
      timerType: "histogram"
      listenAddress: "127.0.0.1:${config.temporal.metricsPort.port}"
services:
${service('frontend', 0, `\n      httpPort: ${grpc + 10}`)}
${service('history', 1)}
${service('matching', 2)}
${service('worker', 6)}
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
dynamicConfigClient:
  filepath: "${dynamicConfigFile}"
  pollInterval: "10s"
`;
}

/**
 * Server knobs for a single box; the cluster sets the same keys through the chart's dynamicConfig.
 * Not system.forceSearchAttributesCacheRefreshOnRead, which `temporal server start-dev` sets: with it,
 * every visibility row the bridge's backpressure lists re-read the cluster metadata from Postgres,
 * a third of the server's CPU at 16,000 events/s (BENCHMARKS.md, 2026-12-01).
 */
const DYNAMIC_CONFIG = `# Written by local/temporal.ts
frontend.enableUpdateWorkflowExecution:
  - value: true
`;

/** Creates the schema on first use and upgrades it to the server version on every start (a no-op when current). */
async function ensureSchema(bins: TemporalBinaries, config: StackConfig): Promise<void> {
  for (const db of LOCAL_DATABASES.filter((d) => d.owner === 'temporal')) {
    await ensureTemporalSchema(bins, config, db.name, db.name === 'temporal' ? 'temporal' : 'visibility');
  }
}

/**
 * Brings `database` (owned by role temporal on the local Postgres) to the server version's schema:
 * `temporal` for the default store, `visibility` for visibility.
 */
export async function ensureTemporalSchema(
  bins: TemporalBinaries,
  config: StackConfig,
  database: string,
  schema: 'temporal' | 'visibility',
): Promise<void> {
  const common = [
    '--plugin',
    'postgres12',
    '--ep',
    '127.0.0.1',
    '-p',
    String(config.postgres.port.port),
    '-u',
    'temporal',
    '--pw',
    'temporal',
    '--db',
    database,
  ];
  // Asked of the database, not of a marker file: a Postgres data directory made anew (removed, or
  // its temporary directory cleaned) next to an old marker left update-schema failing on every start.
  const versioned = await psql(config, "SELECT to_regclass('public.schema_version') IS NOT NULL", database);
  if (versioned.trim() !== 't') {
    progress(`temporal: setting up schema in ${database}`);
    await run(bins.sqlTool, [...common, 'setup-schema', '-v', '0.0']);
  }
  await run(bins.sqlTool, [...common, 'update-schema', '--schema-name', `postgresql/v12/${schema}`]);
}

export async function temporalUp(config: StackConfig): Promise<TemporalBinaries> {
  const bins = await ensureTemporalBinaries();
  const address = `127.0.0.1:${config.temporal.port.port}`;
  if (daemonPid(NAME) === undefined) {
    await assertPortFree(config.temporal.port.port, config.temporal.port.envVar);
    await assertPortFree(config.temporal.membershipBasePort.port, config.temporal.membershipBasePort.envVar);
    await assertPortFree(config.temporal.metricsPort.port, config.temporal.metricsPort.envVar);
    const dir = join(stateDir(), 'temporal');
    mkdirSync(dir, { recursive: true });
    await ensureSchema(bins, config);
    const dynamicConfigFile = join(dir, 'dynamicconfig.yaml');
    const configFile = join(dir, 'config.yaml');
    writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
    writeFileSync(configFile, serverConfig(config, dynamicConfigFile));
    progress(`temporal: starting server ${VERSIONS.temporalServer} on ${address}`);
    startDaemon({
      name: NAME,
      cmd: bins.server,
      args: ['--config-file', configFile, '--allow-no-auth', 'start'],
      cwd: dir,
    });
  }
  await waitFor(
    `temporal frontend on ${address}`,
    async () => {
      await run(bins.cli, ['operator', 'cluster', 'health', '--address', address]);
      return true;
    },
    { timeoutMs: 120_000, daemon: NAME, intervalMs: 1000 },
  );
  await ensureNamespace(bins, address);
  return bins;
}

/** Creates the pipeline namespace once; ready when `namespace describe` answers. */
async function ensureNamespace(bins: TemporalBinaries, address: string): Promise<void> {
  const describe = async () => {
    await run(bins.cli, [
      'operator',
      'namespace',
      'describe',
      '--namespace',
      TEMPORAL_NAMESPACE,
      '--address',
      address,
    ]);
    return true;
  };
  try {
    await describe();
    return;
  } catch {
    progress(`temporal: creating namespace ${TEMPORAL_NAMESPACE} (retention ${NAMESPACE_RETENTION})`);
  }
  try {
    await run(bins.cli, [
      'operator',
      'namespace',
      'create',
      '--namespace',
      TEMPORAL_NAMESPACE,
      '--retention',
      NAMESPACE_RETENTION,
      '--address',
      address,
    ]);
  } catch (err) {
    if (!(err instanceof StackError && /already (exists|registered)/i.test(err.message))) throw err;
  }
  await waitFor(`temporal namespace ${TEMPORAL_NAMESPACE}`, describe, {
    timeoutMs: 60_000,
    daemon: NAME,
    intervalMs: 1000,
  });
}

export async function temporalDown(): Promise<boolean> {
  return stopDaemon(NAME, 30_000);
}

export function temporalStatus(config: StackConfig): string {
  const pid = daemonPid(NAME);
  return pid
    ? `running (pid ${pid}) on 127.0.0.1:${config.temporal.port.port}, server ${VERSIONS.temporalServer}, namespace ${TEMPORAL_NAMESPACE}`
    : `stopped (log ${logFile(NAME)})`;
}
