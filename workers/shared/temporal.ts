/** Temporal names shared by the bridge, the workers, the stacks and the tools. */
export const TEMPORAL_NAMESPACE = 'sensor-pipeline';
export const TASK_QUEUE = 'sensor-processing';

export const WORKFLOW_TYPES = {
  processSensorBatch: 'processSensorBatch',
  deviceAlert: 'deviceAlert',
} as const;

/** Search attribute-free ID schemes: duplicates collide on purpose. */
export function batchWorkflowId(topic: string, partition: number, firstOffset: string): string {
  return `batch:${topic}:${partition}:${firstOffset}`;
}

export function alertWorkflowId(deviceId: string, rule: string): string {
  return `alert:${deviceId}:${rule}`;
}
