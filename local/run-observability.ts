/**
 * The observability of one local pipeline run, as the cluster's: Alertmanager with the production
 * environment's routes (its receivers pointed at the run's webhook), a Kafka lag exporter, and a
 * Prometheus scraping the run's processes, the Temporal server and that exporter, evaluating the
 * project's alerting rules; plus the timeline of the alerts that fired. Used by `npm run local` and
 * the chaos run.
 *
 * Two steps, since the workers need Alertmanager's address when they start and Prometheus needs the
 * workers' ports: `prepare` before the run's processes start, `watch` once they run.
 */
import type { StackConfig, StackEndpoints } from './config.js';
import { prod } from '../stacks/config/prod.js';
import type { AlertingConfig } from '../stacks/config/types.js';
import { DEFAULT_THRESHOLDS, ruleGroups, type RuleThresholds } from '../stacks/observability/rules.js';
import { AlertTimeline } from './alert-timeline.js';
import { AlertWebhook } from './alert-webhook.js';
import { LocalAlertmanager } from './alertmanager.js';
import { KafkaLagExporter } from './kafka-lag-exporter.js';
import type { PipelineRun } from './pipeline-run.js';
import { LocalPrometheus, localRuleGroups } from './prometheus.js';

/** A local fault lasts seconds: an alert fires once its condition held this long. */
export const LOCAL_ALERT_FOR_S = 10;

/** The routes a local run loads: production's, whose tiers reach the on-call engineer, team lead and manager. */
export const LOCAL_ALERTING: AlertingConfig = prod.choices.observability.alerting;

/**
 * The production thresholds, except the lag: a million messages is minutes of a cluster's input but
 * quarter of an hour of a local run's, so here it is ten seconds of the run's input.
 */
export function localThresholds(rate: number): RuleThresholds {
  return { ...DEFAULT_THRESHOLDS, consumerLag: Math.max(1000, rate * 10) };
}

interface Watching {
  readonly prometheus: LocalPrometheus;
  readonly exporter: KafkaLagExporter;
  readonly timeline: AlertTimeline;
}

export class RunObservability {
  private watching: Watching | undefined;
  private watchingStopped = false;

  private constructor(
    private readonly config: StackConfig,
    readonly alertmanager: LocalAlertmanager,
    readonly webhook: AlertWebhook,
  ) {}

  /** Alertmanager and its webhook, before the run's processes start. */
  static async prepare(config: StackConfig): Promise<RunObservability> {
    const webhook = await AlertWebhook.start(config.observability.alertWebhookPort.port);
    try {
      const alertmanager = await LocalAlertmanager.start({
        port: config.observability.alertmanagerPort.port,
        portEnvVar: config.observability.alertmanagerPort.envVar,
        alerting: LOCAL_ALERTING,
        webhookBase: webhook.url,
        // A local alert lives seconds: one that ended within a group's wait would page nobody, as
        // Alertmanager intends for flapping, and the run could not show that its tier was reached.
        groupWait: '0s',
        groupInterval: '5s',
      });
      return new RunObservability(config, alertmanager, webhook);
    } catch (err) {
      await webhook.stop();
      throw err;
    }
  }

  /** What the workers need to post device alerts to this run's Alertmanager. */
  get processEnv(): Record<string, string> {
    return { ALERTMANAGER_URL: this.alertmanager.url };
  }

  /** The Kafka lag exporter, Prometheus and the alert timeline, once the run's processes run. */
  async watch(ep: StackEndpoints, run: PipelineRun, rate: number): Promise<void> {
    const o = this.config.observability;
    const exporter = await KafkaLagExporter.start({
      kafka: run.kafka,
      port: o.kafkaExporterPort.port,
      topic: run.names.topics.sensorData,
      consumerGroup: run.names.consumerGroup,
    });
    try {
      const prometheus = await LocalPrometheus.start({
        port: o.prometheusPort.port,
        portEnvVar: o.prometheusPort.envVar,
        jobs: [
          ...run.scrapeTargets(),
          { job: 'temporal', targets: [new URL(ep.temporalMetricsUrl).host] },
          { job: 'kafka-exporter', targets: [exporter.target] },
        ],
        groups: localRuleGroups(ruleGroups(localThresholds(rate)), LOCAL_ALERT_FOR_S),
        alertmanager: new URL(this.alertmanager.url).host,
      });
      const timeline = new AlertTimeline(prometheus);
      timeline.start();
      this.watching = { prometheus, exporter, timeline };
    } catch (err) {
      await exporter.stop();
      throw err;
    }
  }

  get prometheus(): LocalPrometheus {
    return this.watched().prometheus;
  }

  get timeline(): AlertTimeline {
    return this.watched().timeline;
  }

  private watched(): Watching {
    if (!this.watching) throw new Error('the run is not watched yet (RunObservability.watch)');
    return this.watching;
  }

  /** Ends the timeline (its last poll included) and stops Prometheus and the exporter. */
  async stopWatching(): Promise<void> {
    const w = this.watching;
    if (!w || this.watchingStopped) return;
    this.watchingStopped = true;
    await w.timeline.stop().catch(() => undefined);
    await w.prometheus.stop();
    await w.exporter.stop();
  }

  async stop(): Promise<void> {
    await this.stopWatching();
    await this.alertmanager.stop();
    await this.webhook.stop();
  }
}
