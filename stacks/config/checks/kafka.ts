/**
 * The Kafka section (validate.ts): pools, replication, versions against the deployed record, topics
 * against the deployed partition counts and the topics the workers use, and broker storage.
 */
import { TOPICS, type TopicKey } from '../../../workers/shared/topics.js';
import { ASSUMPTIONS } from '../../capacity/model.js';
import { parseQuantity } from '../../lib/quantity.js';
import type { DeployedRecord, EnvironmentConfig } from '../types.js';
import { DNS_LABEL, LABEL_KEY, type Checker } from './checker.js';

const KAFKA_VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const METADATA_VERSION = /^(\d+)\.(\d+)-IV(\d+)$/;

/** [major, minor] of a Kafka version or a metadata version, or undefined when malformed. */
function release(value: unknown, pattern: RegExp): [number, number] | undefined {
  const m = typeof value === 'string' ? pattern.exec(value) : null;
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

function compareRelease(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Kafka upgrades in two steps (docs/upgrades.md): first `kafka.version`, which rolls the brokers onto
 * the new software; then, once the record says they run it, `kafka.metadataVersion`. A metadata version
 * the running brokers do not know would stop them, and KRaft cannot lower it again.
 */
export function checkKafkaVersions(
  c: Checker,
  k: EnvironmentConfig['kafka'],
  running: { version: string; metadataVersion: string } | undefined,
): void {
  const version = release(k.version, KAFKA_VERSION);
  const metadata = release(k.metadataVersion, METADATA_VERSION);
  c.rule(
    version !== undefined,
    `'kafka.version' (${JSON.stringify(k.version)}) must be a Kafka release such as "4.3.1"`,
  );
  c.rule(
    metadata !== undefined,
    `'kafka.metadataVersion' (${JSON.stringify(k.metadataVersion)}) must be a KRaft metadata version such as "4.3-IV0"`,
  );
  if (!version || !metadata) return;
  c.rule(
    compareRelease(metadata, version) <= 0,
    `'kafka.metadataVersion' (${k.metadataVersion}) must not be above 'kafka.version' (${k.version}): a broker cannot run a metadata version newer than its software`,
  );
  if (!running) return;
  const runningVersion = release(running.version, KAFKA_VERSION);
  const runningMetadata = release(running.metadataVersion, METADATA_VERSION);
  if (runningVersion)
    c.rule(
      compareRelease(metadata, runningVersion) <= 0,
      `'kafka.metadataVersion' (${k.metadataVersion}) must not be above the running Kafka (${running.version}, recorded in stacks/config/deployed-kafka.json): upgrade in two steps, 'kafka.version' first, apply and record it, then 'kafka.metadataVersion' (docs/upgrades.md)`,
    );
  if (runningMetadata) {
    c.rule(
      compareRelease(metadata, runningMetadata) >= 0,
      `'kafka.metadataVersion' (${k.metadataVersion}) must not be below the deployed metadata version (${running.metadataVersion}, recorded in stacks/config/deployed-kafka.json): KRaft does not lower it`,
    );
    c.rule(
      compareRelease(version, runningMetadata) >= 0,
      `'kafka.version' (${k.version}) must not be below the deployed metadata version (${running.metadataVersion}, recorded in stacks/config/deployed-kafka.json): that Kafka cannot read the cluster's metadata`,
    );
  }
}

export function checkKafka(c: Checker, config: EnvironmentConfig, deployed: DeployedRecord): void {
  const env = config.name;
  const k = config.kafka;
  c.match('kafka.clusterName', k.clusterName, DNS_LABEL, 'a DNS label');
  for (const pool of ['brokers', 'controllers'] as const) {
    c.int(`kafka.${pool}.replicas`, k[pool].replicas, 1, 100);
    c.bytes(`kafka.${pool}.storageSize`, k[pool].storageSize);
    c.cpu(`kafka.${pool}.cpu`, k[pool].cpu);
    c.bytes(`kafka.${pool}.memory`, k[pool].memory);
  }
  c.match(
    'kafka.rackTopologyKey',
    k.rackTopologyKey,
    LABEL_KEY,
    'a node label key such as topology.kubernetes.io/zone',
  );
  c.rule(
    typeof k.cruiseControl === 'boolean',
    `'kafka.cruiseControl' (${JSON.stringify(k.cruiseControl)}) must be true or false`,
  );
  c.rule(
    k.controllers.replicas % 2 === 1,
    `'kafka.controllers.replicas' (${k.controllers.replicas}) must be odd: a KRaft quorum of n tolerates floor((n-1)/2) failures, an even count adds none`,
  );
  c.int('kafka.replicationFactor', k.replicationFactor, 1, 5);
  c.rule(
    k.replicationFactor <= k.brokers.replicas,
    `'kafka.replicationFactor' (${k.replicationFactor}) must be <= 'kafka.brokers.replicas' (${k.brokers.replicas}): each replica needs its own broker`,
  );
  c.int('kafka.minInsyncReplicas', k.minInsyncReplicas, 1, 5);
  c.rule(
    k.minInsyncReplicas <= k.replicationFactor,
    `'kafka.minInsyncReplicas' (${k.minInsyncReplicas}) must be <= 'kafka.replicationFactor' (${k.replicationFactor}): otherwise no acks=all write succeeds`,
  );
  c.rule(
    env === 'dev' || k.minInsyncReplicas < k.replicationFactor,
    `'kafka.minInsyncReplicas' (${k.minInsyncReplicas}) must be < 'kafka.replicationFactor' (${k.replicationFactor}) outside dev: a single broker restart would block every producer`,
  );
  checkKafkaVersions(c, k, deployed.kafka?.[env]);
  const deployedPartitions = deployed.partitions[env] ?? {};
  for (const key of Object.keys(TOPICS) as TopicKey[]) {
    const topic = k.topics[key];
    const path = `kafka.topics.${key}`;
    if (!topic) {
      c.rule(
        false,
        `'${path}' (${String(topic)}) must be set: every topic of workers/shared/topics.ts needs a configuration`,
      );
      continue;
    }
    c.int(`${path}.partitions`, topic.partitions, 1, 10_000);
    c.int(`${path}.retentionHours`, topic.retentionHours, 1, 24 * 365);
    const was = deployedPartitions[key];
    c.rule(
      was === undefined || topic.partitions >= was,
      `'${path}.partitions' (${topic.partitions}) must be >= the deployed count (${was}) recorded in stacks/config/deployed-partitions.json: Kafka cannot remove partitions, and keyed ordering would break`,
    );
  }
  for (const key of Object.keys(k.topics)) {
    c.rule(
      key in TOPICS,
      `'kafka.topics.${key}' is not a topic of workers/shared/topics.ts (expected one of ${Object.keys(TOPICS).join(', ')})`,
    );
  }
  // Retention never deletes a partition's active segment, so each replica may hold a full one.
  const partitionCount = Object.values(k.topics).reduce(
    (sum, t) => sum + (typeof t?.partitions === 'number' ? t.partitions : 0),
    0,
  );
  const brokerBytes = parseQuantity(k.brokers.storageSize);
  if (brokerBytes !== undefined && k.brokers.replicas > 0 && Number.isInteger(k.replicationFactor)) {
    const segments = Math.ceil((partitionCount * k.replicationFactor) / k.brokers.replicas);
    c.rule(
      brokerBytes >= segments * ASSUMPTIONS.kafkaSegmentBytes,
      `'kafka.brokers.storageSize' (${k.brokers.storageSize}) is too small: ${partitionCount} partitions x RF ${k.replicationFactor} / ${k.brokers.replicas} brokers = ${segments} active 1 GiB segments per broker, which retention cannot delete (docs/capacity.md)`,
    );
  }
  // Retention must not overtake a bridge or workers down for the planned outage: their records would
  // be deleted unread (a retention gap, issue 23 finding 6). Beyond the event window a record would be
  // refused as too old anyway.
  const sensorData = k.topics.sensorData?.retentionHours;
  const { eventWindow, longestOutageHours } = config.pipeline;
  c.int('pipeline.longestOutageHours', longestOutageHours, 1, 24 * 366);
  if (typeof sensorData === 'number' && typeof longestOutageHours === 'number') {
    const needed = Math.min(eventWindow.maxEventAgeHours, longestOutageHours);
    c.rule(
      sensorData >= needed,
      `'kafka.topics.sensorData.retentionHours' (${sensorData}) must be >= ${needed}, the shorter of 'pipeline.longestOutageHours' (${longestOutageHours}) and 'pipeline.eventWindow.maxEventAgeHours' (${eventWindow.maxEventAgeHours}): records of a bridge or workers down for the planned outage would be deleted before they are consumed (a retention gap: the readings are lost, a note on the parking topic says which)`,
    );
  }
  // What the bridge rejects must outlive its source, so it can be inspected and re-driven later.
  for (const key of ['deadLetter', 'parking'] as const) {
    const kept = k.topics[key]?.retentionHours;
    const source = k.topics.sensorData?.retentionHours;
    c.rule(
      typeof kept !== 'number' || typeof source !== 'number' || kept >= source,
      `'kafka.topics.${key}.retentionHours' (${kept}) must be >= 'kafka.topics.sensorData.retentionHours' (${source}): a rejected record must outlive its source for redrive`,
    );
  }
}
