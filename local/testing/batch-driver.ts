/**
 * Runs batch workflows directly, the way the bridge starts them: the readings are produced to
 * partition 0 of the topic, and a workflow with the bridge's ID scheme names their offset range and
 * claim (claim check). For tests and the history recorder that exercise workflows without a bridge.
 */
import type { Client } from '@temporalio/client';
import type { Kafka, Message } from 'kafkajs';
import { recordFingerprint } from '../../workers/lib/record-fingerprint.js';
import { DEFAULT_ALERT_RULES } from '../../workers/shared/alert-rules.js';
import type { SensorData } from '../../workers/shared/events.js';
import {
  BATCH_MEMO_FIRST_RECORD,
  BATCH_MEMO_LAST_OFFSET,
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

let seq = 0;

export class BatchDriver {
  constructor(
    private readonly kafka: Kafka,
    private readonly client: Client,
    private readonly taskQueue: string,
    private readonly topic: string,
    /** The event window the batches validate against: readings older than this are rejected. */
    private readonly maxEventAgeMs = 3600_000,
  ) {}

  /**
   * One batch of readings of `deviceId` with these temperatures, then `extra` readings and
   * `malformed` unparseable records, produced in one send and run to completion.
   */
  async run(
    deviceId: string,
    temperatures: number[],
    extra: SensorData[] = [],
    malformed = 0,
  ): Promise<BatchRun> {
    const now = Date.now();
    const readings = temperatures.map((temperature) =>
      sensorData(deviceId, seq++, { timestamp: now - 1000 + seq, readings: { temperature } }),
    );
    const messages: Message[] = [
      ...[...readings, ...extra].map((e) => ({ key: e.deviceId, value: JSON.stringify(e) })),
      ...Array.from({ length: malformed }, () => ({ key: deviceId, value: '{not json' })),
    ].map((m) => ({ ...m, partition: 0, timestamp: String(now) }));
    const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    let firstOffset: bigint;
    try {
      const [meta] = await producer.send({ topic: this.topic, acks: -1, messages });
      firstOffset = BigInt(meta!.baseOffset!);
    } finally {
      await producer.disconnect();
    }
    const print = (m: Message) =>
      recordFingerprint(String(now), Buffer.from(String(m.key)), Buffer.from(String(m.value)));
    const lastOffset = (firstOffset + BigInt(messages.length - 1)).toString();
    const input: ProcessSensorBatchInput = {
      range: { topic: this.topic, partition: 0, firstOffset: firstOffset.toString(), lastOffset },
      claim: {
        records: messages.length,
        firstRecord: print(messages[0]!),
        lastRecord: print(messages[messages.length - 1]!),
      },
      rules: DEFAULT_ALERT_RULES,
      maxEventAgeMs: this.maxEventAgeMs,
      maxClockSkewMs: 60_000,
    };
    const workflowId = batchWorkflowId(this.topic, 0, firstOffset.toString());
    const result = (await this.client.workflow.execute(WORKFLOW_TYPES.processSensorBatch, {
      workflowId,
      taskQueue: this.taskQueue,
      args: [input],
      memo: { [BATCH_MEMO_LAST_OFFSET]: lastOffset, [BATCH_MEMO_FIRST_RECORD]: input.claim.firstRecord },
    })) as ProcessSensorBatchResult;
    return { workflowId, result };
  }
}
