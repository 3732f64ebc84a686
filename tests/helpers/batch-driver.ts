/**
 * Runs batch workflows directly, the way the bridge starts them (same ID scheme, consecutive offsets
 * of partition 0): for tests and the history recorder that exercise workflows without Kafka in between.
 */
import type { Client } from '@temporalio/client';
import { DEFAULT_ALERT_RULES } from '../../workers/shared/alert-rules.js';
import type { IngestedEvent } from '../../workers/shared/events.js';
import {
  WORKFLOW_TYPES,
  batchWorkflowId,
  type ProcessSensorBatchInput,
  type ProcessSensorBatchResult,
} from '../../workers/shared/temporal.js';
import { sensorData } from './events.js';

export interface BatchRun {
  readonly workflowId: string;
  readonly result: ProcessSensorBatchResult;
}

export class BatchDriver {
  private offset = 0;

  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly topic: string,
  ) {}

  /** One batch of readings of `deviceId` with these temperatures (plus `extra` events), run to completion. */
  async run(
    deviceId: string,
    temperatures: number[],
    extra: IngestedEvent[] = [],
    deadLettered = 0,
  ): Promise<BatchRun> {
    const first = this.offset;
    const events: IngestedEvent[] = temperatures.map((temperature) => {
      const o = this.offset++;
      return {
        ...sensorData(deviceId, o, { timestamp: Date.now() - 1000 + o, readings: { temperature } }),
        source: { partition: 0, offset: String(o) },
      };
    });
    const input: ProcessSensorBatchInput = {
      range: {
        topic: this.topic,
        partition: 0,
        firstOffset: String(first),
        lastOffset: String(this.offset - 1),
      },
      events: [...events, ...extra],
      deadLettered,
      rules: DEFAULT_ALERT_RULES,
      maxEventAgeMs: 3600_000,
      maxClockSkewMs: 60_000,
    };
    const workflowId = batchWorkflowId(this.topic, 0, String(first));
    const result = (await this.client.workflow.execute(WORKFLOW_TYPES.processSensorBatch, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
    })) as ProcessSensorBatchResult;
    return { workflowId, result };
  }
}
