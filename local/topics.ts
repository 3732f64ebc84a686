/**
 * Creates the pipeline's topics on the local broker, as the KafkaTopic resources do in the cluster.
 * Partition counts only grow: an existing topic with fewer partitions is extended, never recreated.
 */
import { Kafka, type Admin } from 'kafkajs';
import { kafkaClientConfig } from './config.js';
import { TOPICS } from '../workers/shared/topics.js';

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  readonly config?: Record<string, string>;
}

/** Local partition counts: enough to exercise per-partition batching on a 2-core box. */
export function pipelineTopicSpecs(
  names: Record<keyof typeof TOPICS, string> = TOPICS,
  sensorDataPartitions = 6,
): TopicSpec[] {
  return [
    {
      topic: names.sensorData,
      partitions: sensorDataPartitions,
      // Delete, never compact, and well above the time a batch waits for its worker: batch
      // workflows name offset ranges of this topic (claim check, decision 0008).
      config: { 'retention.ms': String(7 * 24 * 3600_000), 'cleanup.policy': 'delete' },
    },
    { topic: names.processed, partitions: sensorDataPartitions },
    { topic: names.alerts, partitions: 3 },
    { topic: names.deadLetter, partitions: 3, config: { 'retention.ms': String(30 * 24 * 3600_000) } },
    { topic: names.parking, partitions: 3, config: { 'retention.ms': String(30 * 24 * 3600_000) } },
  ];
}

export async function ensureTopics(brokers: string[], specs: readonly TopicSpec[]): Promise<void> {
  const admin = new Kafka(kafkaClientConfig({ kafkaBrokers: brokers }, 'topic-setup')).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existing.has(s.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        // kafkajs waits only through LEADER_NOT_AVAILABLE; the broker may also answer
        // UNKNOWN_TOPIC_OR_PARTITION for a moment after creating a topic: waitForLeaders below.
        waitForLeaders: false,
        topics: missing.map((s) => ({
          topic: s.topic,
          numPartitions: s.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(s.config ?? {}).map(([name, value]) => ({ name, value })),
        })),
      });
      await waitForLeaders(
        admin,
        missing.map((s) => s.topic),
      );
    }
    const present = specs.filter((s) => existing.has(s.topic));
    if (present.length > 0) {
      const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
      const grow = meta.topics
        .map((t) => ({
          topic: t.name,
          have: t.partitions.length,
          want: present.find((s) => s.topic === t.name)?.partitions ?? 0,
        }))
        .filter((t) => t.want > t.have);
      if (grow.length > 0)
        await admin.createPartitions({
          topicPartitions: grow.map((t) => ({ topic: t.topic, count: t.want })),
        });
    }
  } finally {
    await admin.disconnect();
  }
}

/** Until every partition of `topics` has a leader (30 s), through the broker's transient answers. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const meta = await admin.fetchTopicMetadata({ topics });
      if (meta.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
        return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    if (Date.now() > deadline)
      throw new Error(`topics ${topics.join(', ')}: no leader after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function ensurePipelineTopics(brokers: string[]): Promise<void> {
  await ensureTopics(brokers, pipelineTopicSpecs());
}
