/**
 * Backpressure: the bridge stops fetching while too many batch workflows are open (workers lag or
 * are down) and resumes below three quarters of the bound. Open batches are counted by Temporal's
 * visibility, which knows about every bridge replica's starts, not only this one's.
 */
import type { Client } from '@temporalio/client';
import { WORKFLOW_TYPES } from '../shared/temporal.js';

export interface BackpressureOptions {
  readonly client: Client;
  readonly taskQueue: string;
  readonly maxOpenBatches: number;
  readonly pollMs?: number;
  readonly onChange: (paused: boolean, open: number) => void;
  readonly onCount?: (open: number) => void;
  readonly onError?: (err: unknown) => void;
}

export class Backpressure {
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private polling = false;

  constructor(private readonly opts: BackpressureOptions) {}

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async poll(): Promise<number | undefined> {
    if (this.polling) return undefined;
    this.polling = true;
    try {
      const { count } = await this.opts.client.workflow.count(
        `WorkflowType = '${WORKFLOW_TYPES.processSensorBatch}' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.opts.taskQueue}'`,
      );
      this.opts.onCount?.(count);
      const shouldPause = this.paused
        ? count > Math.floor(this.opts.maxOpenBatches * 0.75)
        : count >= this.opts.maxOpenBatches;
      if (shouldPause !== this.paused) {
        this.paused = shouldPause;
        this.opts.onChange(shouldPause, count);
      }
      return count;
    } catch (err) {
      this.opts.onError?.(err);
      return undefined;
    } finally {
      this.polling = false;
    }
  }
}
