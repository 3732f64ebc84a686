/**
 * kafkajs 2.2.4 groups a send's messages by partition with one array spread per message: quadratic.
 * A worker publishes a batch's SensorDataProcessed records to one partition, 2,000 per send, so each
 * send copied about two million array slots and left them for the garbage collector: measured here,
 * 2 µs of CPU per message at 2,000 per send, the largest item of the worker's profile after GC
 * (BENCHMARKS.md). Same result, one push per message.
 *
 * kafkajs binds this function when its producer modules load, which `import 'kafkajs'` does: this
 * module must be evaluated first. The modules that import kafkajs as a value import it first
 * (ES modules evaluate their imports in order), and installProducerGrouping() reports 'too-late'
 * where that failed, so that hardenKafkajs() can say so.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

const PATCHED_VERSION = '2.2.4';
const GROUPING = 'kafkajs/src/producer/groupMessagesPerPartition.js';
/** The module that binds GROUPING when it loads. */
const SEND_MESSAGES = 'kafkajs/src/producer/sendMessages.js';

interface GroupingInput {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly unknown[];
  readonly partitioner: (args: {
    topic: string;
    partitionMetadata: readonly unknown[];
    message: unknown;
  }) => number;
}

export function linearGrouping({ topic, partitionMetadata, messages, partitioner }: GroupingInput) {
  const result: Record<number, unknown[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

export type GroupingInstall = 'installed' | 'other-kafkajs-version' | 'too-late';

function install(): GroupingInstall {
  const { version } = require('kafkajs/package.json') as { version: string };
  if (version !== PATCHED_VERSION) return 'other-kafkajs-version';
  const path = require.resolve(GROUPING);
  if (require.cache[path]?.exports === linearGrouping) return 'installed';
  if (require.cache[require.resolve(SEND_MESSAGES)]) return 'too-late';
  require(path);
  require.cache[path]!.exports = linearGrouping;
  return 'installed';
}

const installed = install();

/** Whether kafkajs's producers in this process group linearly (installed when this module loaded). */
export function producerGrouping(): GroupingInstall {
  return installed === 'too-late' ? installed : install();
}
