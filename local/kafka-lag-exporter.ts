/**
 * What Kafka Exporter (deployed by Strimzi in the cluster) tells Prometheus about the pipeline's
 * topic and consumer group, read from the local broker at each scrape and served under the same names
 * and labels (stacks/observability/exporter-metrics.ts), so that the lag rules evaluate in a local run
 * as in the cluster. Kafka Exporter's module is not served where this project builds its servers
 * (docs/iac-verification.md); this serves only the four series the rules and dashboards read.
 *   kafka_consumergroup_lag{consumergroup,topic,partition}: high watermark minus committed offset
 *   kafka_topic_partition_current_offset{topic,partition}: high watermark
 *   kafka_topic_partition_under_replicated_partition{topic,partition}: 1 when ISR < replicas
 *   kafka_brokers: brokers in the cluster metadata
 * A broker that does not answer leaves the scrape failed (up == 0), as the exporter's would.
 */
import { createServer, type Server } from 'node:http';
import type { Admin, Kafka } from 'kafkajs';

export interface KafkaLagExporterOptions {
  readonly kafka: Kafka;
  readonly port: number;
  readonly topic: string;
  readonly consumerGroup: string;
}

async function exposition(admin: Admin, topic: string, group: string): Promise<string> {
  const [ends, [committed], metadata, cluster] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId: group, topics: [topic] }),
    admin.fetchTopicMetadata({ topics: [topic] }),
    admin.describeCluster(),
  ]);
  const commits = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
  const lines = [
    '# TYPE kafka_brokers gauge',
    `kafka_brokers ${cluster.brokers.length}`,
    '# TYPE kafka_topic_partition_current_offset gauge',
    ...ends.map(
      (e) => `kafka_topic_partition_current_offset{topic="${topic}",partition="${e.partition}"} ${e.high}`,
    ),
    '# TYPE kafka_topic_partition_under_replicated_partition gauge',
    ...(metadata.topics[0]?.partitions ?? []).map(
      (p) =>
        `kafka_topic_partition_under_replicated_partition{topic="${topic}",partition="${p.partitionId}"} ${p.isr.length < p.replicas.length ? 1 : 0}`,
    ),
    '# TYPE kafka_consumergroup_lag gauge',
    // A group that has committed nothing on a partition lags by all of it, as the exporter counts.
    ...ends.map((e) => {
      const at = commits.get(e.partition);
      const lag = Number(e.high) - (at === undefined || at < 0 ? Number(e.low) : at);
      return `kafka_consumergroup_lag{consumergroup="${group}",topic="${topic}",partition="${e.partition}"} ${Math.max(0, lag)}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

export class KafkaLagExporter {
  private constructor(
    private readonly server: Server,
    private readonly admin: Admin,
    readonly target: string,
  ) {}

  static async start(opts: KafkaLagExporterOptions): Promise<KafkaLagExporter> {
    const admin = opts.kafka.admin();
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      exposition(admin, opts.topic, opts.consumerGroup).then(
        (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
        (err: unknown) => res.writeHead(503).end(`kafka: ${String(err)}\n`),
      );
    });
    // Connects lazily: the broker may be down (a chaos fault) when the exporter starts or scrapes.
    await admin.connect().catch(() => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, '127.0.0.1', resolve);
    });
    return new KafkaLagExporter(server, admin, `127.0.0.1:${opts.port}`);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.admin.disconnect().catch(() => undefined);
  }
}
