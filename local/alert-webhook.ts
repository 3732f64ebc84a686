/**
 * The receiving end of a local run's Alertmanager: every receiver of the environment's routing tree
 * posts here (`/<receiver name>`, Alertmanager's webhook format), and the run reads who was notified
 * of what: the chaos report per receiver, the tests per tier.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One notification as Alertmanager's webhook sends it (the fields the runs read). */
export interface Notification {
  readonly receiver: string;
  readonly status: 'firing' | 'resolved';
  readonly groupLabels: Record<string, string>;
  readonly alerts: readonly { status: string; labels: Record<string, string> }[];
  /** When it arrived, ms. */
  readonly at: number;
}

export class AlertWebhook {
  readonly notifications: Notification[] = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Omit<Notification, 'at'>;
        this.notifications.push({ ...body, receiver: req.url?.slice(1) ?? body.receiver, at: Date.now() });
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });

  private constructor() {}

  static async start(port = 0): Promise<AlertWebhook> {
    const hook = new AlertWebhook();
    await new Promise<void>((resolve, reject) => {
      hook.server.once('error', reject);
      hook.server.listen(port, '127.0.0.1', resolve);
    });
    return hook;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Notifications received by `receiver` whose alerts match `labels`. */
  received(receiver: string, labels: Record<string, string> = {}): Notification[] {
    return this.notifications.filter(
      (n) =>
        n.receiver === receiver &&
        n.alerts.some((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v)),
    );
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Per receiver: notifications, and the alert names (device alerts with their tiers) they carried. */
export function describeNotifications(notifications: readonly Notification[]): string {
  const byReceiver = new Map<string, { count: number; alerts: Set<string> }>();
  for (const n of notifications) {
    const entry = byReceiver.get(n.receiver) ?? { count: 0, alerts: new Set<string>() };
    entry.count++;
    for (const a of n.alerts)
      entry.alerts.add(
        a.labels.tier !== undefined ? `${a.labels.alertname} tier ${a.labels.tier}` : a.labels.alertname!,
      );
    byReceiver.set(n.receiver, entry);
  }
  if (byReceiver.size === 0) return 'nothing';
  return [...byReceiver]
    .map(([receiver, e]) => `${receiver} ${e.count} (${[...e.alerts].sort().join(', ')})`)
    .join('; ');
}
