/**
 * The memory budget of a bridge or worker process (invariant 7, hostile world finding 3): every size
 * that decides how much the process holds at once derives from its pod's memory limit
 * (MEMORY_LIMIT_BYTES, which the charts pass from resources.limits.memory through the downward API),
 * not from fixed figures. Fixed, a 32 MiB fetch of lz4 readings decoded to about a million records
 * and took the bridge to 1.9 GiB in a catch-up.
 *
 * Shares of the limit, chosen from the catch-up measurements (docs/reliability.md):
 *   - half for V8's old space (--max-old-space-size: the charts and local/pipeline-processes.ts set
 *     it from the same limit), the rest for the young generation, code, Temporal's native core and
 *     Buffers outside the heap;
 *   - an eighth for what one fetch response may decode (bytes + a fixed cost per record), and the
 *     same for one record batch: past it the batch is undecodable (a decompression bomb);
 *   - an eighth, in the worker, for the records of the ranges it processes at once: an idle worker
 *     already holds about 230 MiB (the SDK's native core, the workflow bundle it loads), measured.
 */
import { setFlagsFromString } from 'node:v8';

const MIB = 1024 * 1024;

/** The charts' default limit (charts/*\/values.yaml resources.limits.memory), used when none is set. */
export const DEFAULT_MEMORY_LIMIT_BYTES = 512 * MIB;
/** Below this a process cannot run the Temporal SDK and kafkajs at all. */
export const MIN_MEMORY_LIMIT_BYTES = 256 * MIB;

/**
 * What processing one record of a range holds in the worker: the range read's record, the parsed
 * event, its row in the batch statement and its processed message (about 2 KiB measured, rounded up).
 */
export const PROCESSED_RECORD_BYTES = 3 * 1024;

export interface MemoryBudget {
  /** The pod's memory limit, bytes. */
  readonly limitBytes: number;
  /** V8's old-space limit (--max-old-space-size), MiB. */
  readonly heapMiB: number;
  /** One record batch: past this (decompressed bytes + per-record cost) it is undecodable. */
  readonly maxBatchBytes: number;
  /** What one fetch response may decode, shared by its partitions (at least a batch each). */
  readonly fetchDecodeBytes: number;
  /** Compressed bytes one consumer fetch asks for (kafkajs maxBytes), and per partition. */
  readonly fetchMaxBytes: number;
  readonly fetchMaxBytesPerPartition: number;
  /** Worker: bytes the ranges in process may hold together (PROCESSED_RECORD_BYTES per record). */
  readonly rangesInFlightBytes: number;
}

export function memoryBudget(limitBytes: number = DEFAULT_MEMORY_LIMIT_BYTES): MemoryBudget {
  const fetchDecodeBytes = Math.floor(limitBytes / 8);
  // An lz4 reading of ~200 bytes compresses about 5:1 and costs ~1.2 KiB decoded: a compressed byte
  // costs ~25 decoded. Asking for more than the budget decodes only refetches the rest.
  const fetchMaxBytes = Math.max(256 * 1024, Math.floor(fetchDecodeBytes / 16));
  return {
    limitBytes,
    heapMiB: Math.floor(limitBytes / 2 / MIB),
    maxBatchBytes: Math.floor(limitBytes / 8),
    fetchDecodeBytes,
    fetchMaxBytes,
    fetchMaxBytesPerPartition: Math.max(64 * 1024, Math.floor(fetchMaxBytes / 4)),
    rangesInFlightBytes: Math.floor(limitBytes / 8),
  };
}

/**
 * How far V8 lets the old generation grow past what survived the last full collection before the
 * next one: 100 % (a factor of 2). V8 derives the factor from the heap limit, 1.3 for the 256 MiB heap
 * of a 512 MiB pod and 4 from a 2 GiB heap up. At 1.3 the worker ran a full mark-compact every second
 * and spent a fifth of its CPU collecting (worker 46 µs/event, BENCHMARKS.md 2026-12-07), although
 * its old generation held 50-80 MiB of the 256. At 2 it costs 32 µs/event, 20 MiB more RSS;
 * the heap limit still bounds it.
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Sets V8's heap growing factor for this process (every isolate, the workflow threads' too). Set at
 * run time because NODE_OPTIONS refuses the flag; V8 reads it at each collection.
 */
export function applyHeapGrowth(percent: number = HEAP_GROWING_PERCENT): void {
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/** Node's flags for a process under this limit (also what the charts put in NODE_OPTIONS). */
export function nodeMemoryFlags(limitBytes: number): string[] {
  return [`--max-old-space-size=${memoryBudget(limitBytes).heapMiB}`];
}

/**
 * Admits work by the bytes it will hold: acquire(n) waits while the bytes held plus n would pass the
 * budget, except when nothing is held (one piece larger than the budget still runs, alone).
 */
export class MemoryGate {
  private held = 0;
  private readonly waiting: { bytes: number; admit: () => void }[] = [];

  constructor(readonly budgetBytes: number) {}

  get heldBytes(): number {
    return this.held;
  }

  async acquire(bytes: number): Promise<() => void> {
    if (this.waiting.length > 0 || (this.held > 0 && this.held + bytes > this.budgetBytes))
      await new Promise<void>((admit) => this.waiting.push({ bytes, admit }));
    else this.held += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= bytes;
      this.admitWaiting();
    };
  }

  /** In arrival order: a large piece is not overtaken for ever by small ones. */
  private admitWaiting(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting[0]!;
      if (this.held > 0 && this.held + next.bytes > this.budgetBytes) return;
      this.waiting.shift();
      this.held += next.bytes;
      next.admit();
    }
  }
}
