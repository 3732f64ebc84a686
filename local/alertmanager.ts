/**
 * A real Alertmanager beside a local run (built from its pinned module), loaded with an environment's
 * routing tree (stacks/observability/alert-routing.ts) whose receivers all point at the run's own
 * webhook (alert-webhook.ts): the run's Prometheus sends it the platform's alerts, the workers post
 * the devices' escalations (ALERTMANAGER_URL), and the webhook shows who would have been notified.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AlertingConfig } from '../stacks/config/types.js';
import { alertmanagerConfig } from '../stacks/observability/alert-routing.js';
import { assertPortFree, daemonPid, startDaemon, stopDaemon, waitFor } from './lib/proc.js';
import { stateDir } from './lib/paths.js';
import { progress } from './progress.js';
import { ensureGoTool } from './tools/go.js';

const NAME = 'alertmanager';

export interface LocalAlertmanagerOptions {
  /** Daemon and data folder name; default "alertmanager" (what `npm run stack:down` stops). */
  readonly name?: string;
  readonly port: number;
  readonly portEnvVar: string;
  /** The environment's alerting section whose routes are loaded. */
  readonly alerting: AlertingConfig;
  /** Where every receiver's notifications go: `<webhookBase>/<receiver name>`. */
  readonly webhookBase: string;
  /** Grouping waits of a local run, shorter than an environment's (its faults last seconds). */
  readonly groupWait: string;
  readonly groupInterval: string;
}

export class LocalAlertmanager {
  private constructor(
    readonly url: string,
    private readonly name: string,
  ) {}

  static async start(opts: LocalAlertmanagerOptions): Promise<LocalAlertmanager> {
    const name = opts.name ?? NAME;
    await stopDaemon(name, 5_000); // a run that died left its Alertmanager behind
    const binary = await ensureGoTool('alertmanager');
    await assertPortFree(opts.port, opts.portEnvVar);
    const dir = join(stateDir(), name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    const config = alertmanagerConfig(
      { ...opts.alerting, groupWait: opts.groupWait, groupInterval: opts.groupInterval },
      (name) => ({ name, webhook_configs: [{ url: `${opts.webhookBase}/${name}`, send_resolved: true }] }),
    );
    writeFileSync(join(dir, 'alertmanager.yml'), stringify(config));
    const url = `http://127.0.0.1:${opts.port}`;
    progress(
      `alertmanager: starting on ${url} (routes of the environment, receivers to ${opts.webhookBase})`,
    );
    startDaemon({
      name,
      cmd: binary,
      args: [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${opts.port}`,
        // One instance: no gossip port.
        '--cluster.listen-address=',
        '--log.level=warn',
      ],
    });
    await waitFor(`alertmanager on port ${opts.port}`, async () => (await fetch(`${url}/-/ready`)).ok, {
      timeoutMs: 60_000,
      daemon: name,
      intervalMs: 250,
    });
    return new LocalAlertmanager(url, name);
  }

  async stop(): Promise<void> {
    await stopDaemon(this.name, 10_000);
  }
}

export async function alertmanagerDown(): Promise<boolean> {
  return daemonPid(NAME) === undefined ? false : stopDaemon(NAME, 10_000);
}
