/**
 * Backpressure: the bridge stops fetching while too many batch workflows are open (workers lag or
 * are down) and resumes below three quarters of the bound. Open batches are counted by Temporal's
 * visibility, which knows about every bridge replica's starts, not only this one's. Visibility lags,
 * by seconds on a busy server, so this bridge's own starts are added on top until visibility has
 * listed them (running or already closed): an overestimate, never an overshoot. Every start first waits
 * for capacity and reserves it in the same step, so neither a burst between two polls nor partitions
 * started concurrently can run past the bound (the long chaos run saw 206 of 200 before reservations).
 *
 * Whether visibility lists a start is asked by workflow ID, never by start time: a bridge whose clock
 * ran ahead of the server's by more than a margin never found its starts among those "started since"
 * its own clock's time and counted each for ten minutes, throttling itself (issue 23, finding 10).
 * The bridge's clock only measures how long it has been waiting for a listing.
 */
import type { Client } from '@temporalio/client';
import { performance } from 'node:perf_hooks';
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
  /**
   * The bridge's clock, in ms: only differences of its readings are used (how long a start has waited
   * to be listed), never compared with the server's times.
   * @default performance.now (monotonic)
   */
  readonly now?: () => number;
}

/** Workflow IDs per visibility query: a list query stays a few kilobytes. */
const IDS_PER_QUERY = 50;

/** A visibility query string literal. */
function quoted(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export class Backpressure {
  private timer: NodeJS.Timeout | undefined;
  private paused = false;
  private polling = false;
  private visibleOpen = 0;
  /** Capacity granted by waitForCapacity to a start still in flight (released by settle()). */
  private reserved = 0;
  /** This bridge's starts that visibility has not listed yet: workflow ID → when noted (this.now). */
  private readonly unseenStarts = new Map<string, number>();
  /** A start that visibility never lists (its record lost) stops counting after this long. */
  private static readonly UNSEEN_LIMIT_MS = 10 * 60_000;
  private readonly now: () => number;

  constructor(private readonly opts: BackpressureOptions) {
    this.now = opts.now ?? (() => performance.now());
  }

  get isPaused(): boolean {
    return this.paused;
  }

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Records a start so that the estimate covers it until visibility lists it. */
  noteStarted(workflowId: string): void {
    this.unseenStarts.set(workflowId, this.now());
  }

  /** Open batches as far as this bridge can tell: visibility, its own starts visibility lags on, and reservations. */
  get estimatedOpen(): number {
    return this.visibleOpen + this.unseenStarts.size + this.reserved;
  }

  /**
   * Waits until a start fits under the bound and reserves it (the check and the reservation run in one
   * synchronous step); false, with nothing reserved, if `keepWaiting` says to give up (shutdown,
   * rebalance). Every true must be followed by settle() once the start attempt is over.
   */
  async waitForCapacity(keepWaiting: () => boolean, heartbeat: () => Promise<void>): Promise<boolean> {
    while (this.estimatedOpen >= this.opts.maxOpenBatches) {
      this.setPaused(true);
      if (!keepWaiting()) return false;
      await heartbeat().catch(() => undefined);
      await sleep(this.opts.pollMs ?? 1000);
      await this.poll();
    }
    this.reserved++;
    return true;
  }

  /** Ends a reservation: the start succeeded (noteStarted has recorded it), collided or failed. */
  settle(): void {
    this.reserved = Math.max(0, this.reserved - 1);
  }

  private setPaused(paused: boolean): void {
    if (paused === this.paused) return;
    this.paused = paused;
    this.opts.onChange(paused, this.estimatedOpen);
  }

  private get batchesQuery(): string {
    return `WorkflowType = '${WORKFLOW_TYPES.processSensorBatch}' AND TaskQueue = '${this.opts.taskQueue}'`;
  }

  /**
   * Drops the unseen starts that visibility now lists, running or closed. Asked by ID: batch workflow
   * IDs are never reused (REJECT_DUPLICATE), so a listed ID is this start.
   */
  private async forgetListedStarts(): Promise<void> {
    if (this.unseenStarts.size === 0) return;
    const now = this.now();
    for (const [id, at] of this.unseenStarts)
      if (now - at > Backpressure.UNSEEN_LIMIT_MS) this.unseenStarts.delete(id);
    const ids = [...this.unseenStarts.keys()];
    for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
      const chunk = ids.slice(i, i + IDS_PER_QUERY);
      for await (const execution of this.opts.client.workflow.list({
        query: `${this.batchesQuery} AND WorkflowId IN (${chunk.map(quoted).join(', ')})`,
        pageSize: IDS_PER_QUERY,
      }))
        this.unseenStarts.delete(execution.workflowId);
    }
  }

  async poll(): Promise<number | undefined> {
    if (this.polling) return undefined;
    this.polling = true;
    try {
      // Listing first: a start listed now is in the count that follows (or has closed meanwhile).
      await this.forgetListedStarts();
      const { count } = await this.opts.client.workflow.count(
        `${this.batchesQuery} AND ExecutionStatus = 'Running'`,
      );
      this.visibleOpen = count;
      const open = this.estimatedOpen;
      this.opts.onCount?.(open);
      const shouldPause = this.paused
        ? open > Math.floor(this.opts.maxOpenBatches * 0.75)
        : open >= this.opts.maxOpenBatches;
      if (shouldPause !== this.paused) {
        this.paused = shouldPause;
        this.opts.onChange(shouldPause, open);
      }
      return open;
    } catch (err) {
      this.opts.onError?.(err);
      return undefined;
    } finally {
      this.polling = false;
    }
  }
}
