/**
 * What one pipeline instance on the local servers owns: its topics, Temporal task queue, bridge
 * consumer group and database. `npm run local` and the chaos run use the shared names (each on its
 * own servers); a bench run gets names of its own so that it never shares state with another run, a
 * test or `npm run local` on the same servers.
 */
import type { TopicNames } from '../workers/config.js';
import { BRIDGE_CONSUMER_GROUP, prefixedTopics, TOPICS } from '../workers/shared/topics.js';
import { TASK_QUEUE } from '../workers/shared/temporal.js';

export interface PipelineNames {
  readonly topics: TopicNames;
  readonly taskQueue: string;
  readonly consumerGroup: string;
  readonly database: string;
}

/** The names the charts deploy with: one pipeline per set of servers. */
export const SHARED_PIPELINE_NAMES: PipelineNames = {
  topics: TOPICS,
  taskQueue: TASK_QUEUE,
  consumerGroup: BRIDGE_CONSUMER_GROUP,
  database: 'sensors',
};

/** A run's own set, `<kind>.<runId>.sensor-data` and so on; the database name is an SQL identifier. */
export function isolatedPipelineNames(kind: string, runId: string): PipelineNames {
  return {
    topics: prefixedTopics(`${kind}.${runId}`),
    taskQueue: `${kind}-${runId}`,
    consumerGroup: `${kind}-${runId}-bridge`,
    database: `${kind}_${runId.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`,
  };
}

/** The bridge's and workers' environment variables that bind them to these names. */
export function pipelineNamesEnv(names: PipelineNames): Record<string, string> {
  return {
    TEMPORAL_TASK_QUEUE: names.taskQueue,
    BRIDGE_CONSUMER_GROUP: names.consumerGroup,
    TOPIC_SENSOR_DATA: names.topics.sensorData,
    TOPIC_PROCESSED: names.topics.processed,
    TOPIC_ALERTS: names.topics.alerts,
    TOPIC_DEAD_LETTER: names.topics.deadLetter,
    TOPIC_PARKING: names.topics.parking,
  };
}
