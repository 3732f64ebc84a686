/**
 * Backpressure: the bridge stops fetching while too many batch workflows are open (workers lag or
 * are down) and resumes below three quarters of the bound. Open batches are counted by Temporal's
 * visibility, which knows about every bridge replica's starts, not only this one's; visibility lags a
 * little, so this bridge's own recent starts are added on top (an overestimate, never an overshoot),
 * and every start first waits for capacity — a burst between two polls cannot run past the bound.
 */
import type { Client } from '@temporalio/client';
import { setTimeout as sleep } from 'node:timers/promises';
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
  private visibleOpen = 0;
  /** Start times of this bridge's recent starts, which visibility may not count yet. */
  private recentStarts: number[] = [];
  private static readonly VISIBILITY_LAG_MS = 5_000;

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

  /** Records starts so that the estimate covers them before visibility does. */
  noteStarted(count = 1): void {
    const now = Date.now();
    for (let i = 0; i < count; i++) this.recentStarts.push(now);
  }

  /** Open batches as far as this bridge can tell: visibility plus its own starts visibility may lag on. */
  get estimatedOpen(): number {
    const horizon = Date.now() - Backpressure.VISIBILITY_LAG_MS;
    while (this.recentStarts.length > 0 && this.recentStarts[0]! < horizon) this.recentStarts.shift();
    return this.visibleOpen + this.recentStarts.length;
  }

  /** Waits until a start fits under the bound; false if `keepWaiting` says to give up (shutdown, rebalance). */
  async waitForCapacity(keepWaiting: () => boolean, heartbeat: () => Promise<void>): Promise<boolean> {
    while (this.estimatedOpen >= this.opts.maxOpenBatches) {
      this.setPaused(true);
      if (!keepWaiting()) return false;
      await heartbeat().catch(() => undefined);
      await sleep(this.opts.pollMs ?? 1000);
      await this.poll();
    }
    return true;
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.opts.onChange(paused, this.estimatedOpen);
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
