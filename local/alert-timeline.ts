/**
 * Which of the project's alerts fired when, during a local run: polls the run's Prometheus
 * (prometheus.ts) and keeps each alert's firing spans, so that the chaos report can say, per fault,
 * what an on-call engineer would have been paged for, and which fault paged nobody.
 */
import type { LocalPrometheus, PrometheusAlert } from './prometheus.js';

export interface AlertSpan {
  readonly alert: string;
  readonly severity: string;
  /** When its condition started to hold (Prometheus activeAt), ms. */
  readonly pendingAt: number;
  /** First poll that saw it firing, ms. */
  firingAt?: number;
  /** First poll that no longer saw it (pending or firing), ms. */
  endedAt?: number;
}

export class AlertTimeline {
  readonly spans: AlertSpan[] = [];
  private readonly open = new Map<string, AlertSpan>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** Polls that failed (Prometheus unreachable): a gap in the timeline, reported rather than hidden. */
  failedPolls = 0;

  constructor(
    private readonly prometheus: Pick<LocalPrometheus, 'alerts'>,
    private readonly intervalMs = 2_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.polling ??= this.poll().finally(() => (this.polling = undefined));
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
    await this.poll();
  }

  /** One look at Prometheus's alerts; exported for tests that drive time themselves. */
  async poll(now = Date.now()): Promise<void> {
    let alerts: PrometheusAlert[];
    try {
      alerts = await this.prometheus.alerts();
    } catch {
      this.failedPolls++;
      return;
    }
    const seen = new Set<string>();
    for (const a of alerts) {
      const key = JSON.stringify(Object.entries(a.labels).sort());
      seen.add(key);
      let span = this.open.get(key);
      if (!span) {
        span = {
          alert: a.labels.alertname,
          severity: a.labels.severity ?? 'none',
          pendingAt: Date.parse(a.activeAt) || now,
        };
        this.open.set(key, span);
        this.spans.push(span);
      }
      if (a.state === 'firing' && span.firingAt === undefined) span.firingAt = now;
    }
    for (const [key, span] of this.open)
      if (!seen.has(key)) {
        span.endedAt = now;
        this.open.delete(key);
      }
  }

  /** Spans that fired (not only pending) and began to hold within [from, to). */
  firedBetween(from: number, to: number): AlertSpan[] {
    return this.spans.filter((s) => s.firingAt !== undefined && s.pendingAt >= from && s.pendingAt < to);
  }
}
