/**
 * A real Prometheus beside a local pipeline run (`npm run local`, the chaos run): built from its
 * pinned Go module (local/tools/versions.ts), it scrapes the run's bridge, workers and their Temporal
 * SDK exporters, the Temporal server and a Kafka lag exporter (kafka-lag-exporter.ts), and evaluates
 * the project's own alerting rules (stacks/observability/rules.ts), so a run shows which alert fires
 * for which fault (alert-timeline.ts). Started per run with fresh data, stopped at its end, and by
 * `npm run stack:down` if a run died first.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AlertRule, RuleGroup } from '../stacks/constructs/prometheus-rules.js';
import { assertPortFree, daemonPid, startDaemon, stopDaemon, waitFor } from './lib/proc.js';
import { stateDir } from './lib/paths.js';
import { progress } from './progress.js';
import { ensureGoTool } from './tools/go.js';

const NAME = 'prometheus';

export interface ScrapeJob {
  readonly job: string;
  /** host:port, each serving /metrics. */
  readonly targets: readonly string[];
}

export interface LocalPrometheusOptions {
  /** Daemon and data folder name; default "prometheus" (what `npm run stack:down` stops). */
  readonly name?: string;
  readonly port: number;
  /** The variable that moves the port, named when it is taken. */
  readonly portEnvVar: string;
  readonly jobs: readonly ScrapeJob[];
  readonly groups: readonly RuleGroup[];
  /** Scrape and rule evaluation interval, seconds. */
  readonly intervalS?: number;
  /** host:port of the Alertmanager that firing alerts are sent to. */
  readonly alertmanager?: string;
}

/** An alert as Prometheus's /api/v1/alerts lists it. */
export interface PrometheusAlert {
  readonly labels: { readonly alertname: string; readonly severity?: string } & Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
}

/**
 * The rules as a local run evaluates them: a fault lasts seconds to a minute, so each rule fires after
 * `forS` of its condition instead of its production `for` (minutes); expressions and thresholds stay.
 */
export function localRuleGroups(groups: readonly RuleGroup[], forS: number): RuleGroup[] {
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r): AlertRule => ({ ...r, for: `${forS}s` })),
  }));
}

export class LocalPrometheus {
  private constructor(
    readonly url: string,
    private readonly name: string,
  ) {}

  static async start(opts: LocalPrometheusOptions): Promise<LocalPrometheus> {
    const name = opts.name ?? NAME;
    await stopDaemon(name, 5_000); // a run that died left its Prometheus behind
    const binary = await ensureGoTool('prometheus');
    await assertPortFree(opts.port, opts.portEnvVar);
    const dir = join(stateDir(), name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'data'), { recursive: true });
    const interval = `${opts.intervalS ?? 2}s`;
    writeFileSync(join(dir, 'rules.yml'), stringify({ groups: opts.groups }));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      stringify({
        global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
        rule_files: [join(dir, 'rules.yml')],
        ...(opts.alertmanager
          ? { alerting: { alertmanagers: [{ static_configs: [{ targets: [opts.alertmanager] }] }] } }
          : {}),
        scrape_configs: opts.jobs
          .filter((j) => j.targets.length > 0)
          // A `namespace` target label, as the operator's monitors add: a scraped `namespace` (Temporal's)
          // is then kept as `exported_namespace`, as in the cluster (exporter-metrics.ts).
          .map((j) => ({
            job_name: j.job,
            static_configs: [{ targets: j.targets, labels: { namespace: 'local' } }],
          })),
      }),
    );
    const url = `http://127.0.0.1:${opts.port}`;
    progress(`prometheus: starting on ${url} (${opts.jobs.map((j) => j.job).join(', ')})`);
    startDaemon({
      name,
      cmd: binary,
      args: [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${opts.port}`,
        '--storage.tsdb.retention.time=1d',
        '--log.level=warn',
      ],
    });
    await waitFor(`prometheus on port ${opts.port}`, async () => (await fetch(`${url}/-/ready`)).ok, {
      timeoutMs: 60_000,
      daemon: name,
      intervalMs: 250,
    });
    return new LocalPrometheus(url, name);
  }

  /** Pending and firing alerts now. */
  async alerts(): Promise<PrometheusAlert[]> {
    const res = await fetch(`${this.url}/api/v1/alerts`);
    if (!res.ok) throw new Error(`prometheus alerts: HTTP ${res.status}`);
    const body = (await res.json()) as { data: { alerts: PrometheusAlert[] } };
    return body.data.alerts;
  }

  /** Each scrape target's health ("up", "down") and last error, by job. */
  async targets(): Promise<{ job: string; url: string; health: string; lastError: string }[]> {
    const res = await fetch(`${this.url}/api/v1/targets?state=active`);
    const body = (await res.json()) as {
      data: {
        activeTargets: { labels: { job: string }; scrapeUrl: string; health: string; lastError: string }[];
      };
    };
    return body.data.activeTargets.map((t) => ({
      job: t.labels.job,
      url: t.scrapeUrl,
      health: t.health,
      lastError: t.lastError,
    }));
  }

  /** One instant query's samples. */
  async query(promql: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const res = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await res.json()) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return body.data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  }

  async stop(): Promise<void> {
    await stopDaemon(this.name, 10_000);
  }
}

export async function prometheusDown(): Promise<boolean> {
  return daemonPid(NAME) === undefined ? false : stopDaemon(NAME, 10_000);
}
