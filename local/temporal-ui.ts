/**
 * The Temporal Web UI next to the local Temporal server, as the cluster runs the chart's web UI: an
 * operator sees each workflow's current step and its whole history. Built once from its Go module
 * (github.com/temporalio/ui-server/v2, which carries the built UI assets) into the cache.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endpoints, loadStackConfig, type StackConfig } from './config.js';
import { cacheDir, stateDir } from './lib/paths.js';
import { assertPortFree, daemonPid, logFile, run, startDaemon, stopDaemon, waitFor } from './lib/proc.js';
import { progress } from './progress.js';
import { requireGo } from './toolchain.js';
import { TEMPORAL_MODULES, TEMPORAL_UI_REQUIRES, TEMPORAL_UI_TOOLCHAIN, VERSIONS } from './versions.js';
import { TEMPORAL_NAMESPACE } from '../workers/shared/temporal.js';

const NAME = 'temporal-ui';
const UI_MODULE = 'github.com/temporalio/ui-server/v2';

/**
 * The UI server binary, built on first use: `go build` of its main package inside a generated module
 * that requires the UI server at its pin (and the dependency patch releases the proxy serves), in a
 * staging directory renamed into place, so that an interrupted build leaves nothing half-written.
 */
export async function ensureTemporalUiBinary(): Promise<string> {
  const dir = join(cacheDir(), `temporal-ui-${VERSIONS.temporalUi}`);
  const binary = join(dir, 'bin', 'temporal-ui-server');
  if (existsSync(binary)) return binary;
  requireGo();
  progress(`temporal: building Web UI ${VERSIONS.temporalUi} from its Go module (first run only: 1-4 min)`);
  const started = Date.now();
  const staging = `${dir}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'bin'), { recursive: true });
  const requires = { [UI_MODULE]: `v${VERSIONS.temporalUi}`, ...TEMPORAL_UI_REQUIRES };
  writeFileSync(
    join(staging, 'go.mod'),
    `// Written by local/temporal-ui.ts: builds ${UI_MODULE} at its pin.\nmodule temporal-ui-build\n\n` +
      `go ${TEMPORAL_UI_TOOLCHAIN.replace(/^go/, '')}\n\nrequire (\n` +
      Object.entries(requires)
        .map(([mod, version]) => `\t${mod} ${version}\n`)
        .join('') +
      ')\n',
  );
  try {
    await run(
      'go',
      [
        'build',
        '-trimpath',
        '-ldflags=-s -w',
        '-o',
        join(staging, 'bin', 'temporal-ui-server'),
        TEMPORAL_MODULES.ui,
      ],
      {
        cwd: staging,
        env: {
          ...process.env,
          GOTOOLCHAIN: TEMPORAL_UI_TOOLCHAIN,
          GOFLAGS: `${loadStackConfig().toolchain.goFlags ?? ''} -mod=mod -buildvcs=false`.trim(),
          CGO_ENABLED: '0',
        },
      },
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  progress(`temporal: Web UI built in ${Math.round((Date.now() - started) / 1000)} s`);
  return binary;
}

/**
 * The UI server's own config file format (config/<env>.yaml under its root). Read-only unless
 * `writeActions`: as the cluster's UI (stacks/constructs/temporal-server.ts, TEMPORAL_DISABLE_WRITE_ACTIONS).
 */
export function uiConfig(config: StackConfig, opts: { port?: number; writeActions?: boolean } = {}): string {
  const port = opts.port ?? config.temporal.uiPort.port;
  return `# Written by local/temporal-ui.ts
temporalGrpcAddress: 127.0.0.1:${config.temporal.port.port}
host: 127.0.0.1
port: ${port}
enableUi: true
defaultNamespace: ${TEMPORAL_NAMESPACE}
disableWriteActions: ${!(opts.writeActions ?? false)}
disableNewsFetch: true
notifyOnNewVersion: false
refreshInterval: 0s
auth:
  enabled: false
cors:
  cookieInsecure: true
  allowOrigins:
    - http://127.0.0.1:${port}
`;
}

/** The one place the URL is made is the stack's endpoints. */
export function temporalUiUrl(config: StackConfig): string {
  return endpoints(config).temporalUiUrl;
}

/** Starts the UI once the Temporal frontend answers; ready when it serves its page. */
export async function temporalUiUp(config: StackConfig): Promise<void> {
  const url = temporalUiUrl(config);
  const root = join(stateDir(), NAME);
  const file = join(root, 'config', 'local.yaml');
  // A UI started by an earlier version with other settings (say, writes on) starts again.
  if (
    daemonPid(NAME) !== undefined &&
    (!existsSync(file) || readFileSync(file, 'utf8') !== uiConfig(config))
  ) {
    progress('temporal: restarting the Web UI with the current settings');
    await temporalUiDown();
  }
  if (daemonPid(NAME) === undefined) {
    const binary = await ensureTemporalUiBinary();
    await assertPortFree(config.temporal.uiPort.port, config.temporal.uiPort.envVar);
    mkdirSync(join(root, 'config'), { recursive: true });
    writeFileSync(file, uiConfig(config));
    progress(`temporal: starting Web UI ${VERSIONS.temporalUi} on ${url}`);
    startDaemon({
      name: NAME,
      cmd: binary,
      args: ['--root', root, '--config', 'config', '--env', 'local', 'start'],
      cwd: root,
    });
  }
  await waitFor(`temporal Web UI on ${url}`, async () => (await fetch(url)).ok, {
    timeoutMs: 60_000,
    daemon: NAME,
    intervalMs: 500,
  });
}

export async function temporalUiDown(): Promise<boolean> {
  return stopDaemon(NAME, 10_000);
}

export function temporalUiStatus(config: StackConfig): string {
  const pid = daemonPid(NAME);
  return pid ? `running (pid ${pid}) on ${temporalUiUrl(config)}` : `stopped (log ${logFile(NAME)})`;
}
