/**
 * Reads one exact offset range of one partition from Kafka: the worker's half of the claim check
 * (decision 0008). A batch workflow names its records (topic, partition, first and last offset); the
 * worker fetches them here instead of receiving them through Temporal.
 *
 * kafkajs has no API for "fetch offsets A..B" outside a consumer group, so this drives its Fetch
 * request directly: a cluster built by the Kafka client's own factory (same brokers, SASL and TLS),
 * the partition leader's broker, and kafkajs's Batch for the read-committed filtering (aborted
 * transactions and control records dropped, exactly as the bridge's consumer saw the range). Pinned
 * to kafkajs 2.2.4 like the decoders it relies on (kafkajs-decoders.ts); another version refuses to
 * start rather than misread.
 */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IHeaders, Kafka } from 'kafkajs';
import type { BatchRange } from '../shared/temporal.js';
import { undecodableReason, withDecodeScope } from './kafkajs-decoders.js';

const require = createRequire(import.meta.url);
const SUPPORTED_VERSION = '2.2.4';
const READ_COMMITTED = 1;
/**
 * Bytes per fetch. A fetch returns whole record batches up to its size, and kafkajs decodes (and
 * decompresses) all of them, also those past the range: sized at 8 MiB, a 3,000-record range read
 * from a backlog cost 15 µs per record, and 179 µs from lz4 batches, where 8 MiB holds some 100,000
 * records (measured here, 2026-12-01). So the first fetch is small, and the next ones are sized from
 * the bytes per offset it saw: two or three round trips for a range, and little past its end.
 */
const FIRST_FETCH_BYTES = 64 * 1024;
const MIN_FETCH_BYTES = 4 * 1024;
const MAX_FETCH_BYTES = 8 * 1024 * 1024;

/** The first fetch: 32 bytes per offset (a dense lz4 batch), at most 64 KiB. */
export function firstFetchBytes(offsets: bigint): number {
  return Math.min(FIRST_FETCH_BYTES, Math.max(MIN_FETCH_BYTES, Number(offsets) * 32));
}

/** The next fetch's size: the rest of the range at the density the last fetch showed, plus a tenth. */
export function nextFetchBytes(lastBytes: number, offsetsCovered: bigint, offsetsLeft: bigint): number {
  const perOffset = lastBytes / Math.max(1, Number(offsetsCovered));
  const wanted = Math.ceil(Number(offsetsLeft) * perOffset * 1.1);
  return Math.min(MAX_FETCH_BYTES, Math.max(MIN_FETCH_BYTES, wanted));
}

/**
 * A read that finds the log ending before the range does polls again, first after this long, each wait
 * twice the last, at most SHORT_READ_MAX_POLL_MS.
 */
const SHORT_READ_FIRST_POLL_MS = 100;
const SHORT_READ_MAX_POLL_MS = 2000;
export const DEFAULT_SHORT_READ_WAIT_MS = 30_000;

export interface RangeReaderOptions {
  /**
   * How long a read waits, in all, for the log's end to pass the range's last offset when it finds the
   * log ending short of it. The bridge saw the whole range, so a short log is a moment: right after a
   * leader change the new leader's high watermark can sit below offsets its predecessor had exposed.
   * After the wait the read returns what is there and the claim check judges it (records-missing).
   * @default 30000 (DEFAULT_SHORT_READ_WAIT_MS)
   */
  readonly shortReadWaitMs?: number;
}

export interface RangeRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
  /** Set when the record batch holding this offset could not be decoded (dead-letter it). */
  readonly undecodable?: string;
}

export interface RangeRead {
  readonly records: RangeRecord[];
  /** The partition's first offset still on the log when the range was read. */
  readonly logStartOffset: bigint;
  /** The partition's high watermark when the range was read. */
  readonly highWatermark: bigint;
  /** Time spent waiting for a log that ended before the range's last offset, ms (unset or 0: none). */
  readonly waitedMs?: number;
  /**
   * The broker answered OFFSET_OUT_OF_RANGE: the offsets are no longer on the log (retention
   * deleted them) or not on it yet (the partition was truncated or recreated below them).
   */
  readonly outOfRange: boolean;
  /** Records the fetches decoded, the range's and those past its end (read amplification). */
  readonly decoded: number;
}

interface FetchPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  /** The end of what a read-committed fetch returns (below the high watermark while a transaction is open). */
  lastStableOffset?: string;
  /** The log start offset (kafkajs 2.2.4 spells the field this way). */
  lastStartOffset?: string;
  messages: unknown[];
  abortedTransactions?: unknown[];
}

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Promise<Record<string, number[]>>;
  findBroker(args: { nodeId: string }): Promise<Broker>;
}

interface Broker {
  fetch(request: object): Promise<{ responses: { topicName: string; partitions: FetchPartition[] }[] }>;
  /** kafkajs 2.2.4: two connections per broker, the second for fetches. */
  readonly connectionPool?: { readonly pool?: readonly { isConnected(): boolean }[] };
}

type BatchClass = new (
  topic: string,
  fetchedOffset: string,
  partitionData: FetchPartition,
) => { messages: (RangeRecord & { headers?: IHeaders })[]; lastOffset(): string };

/** One reader per worker process: a connection to the cluster, shared by every batch in flight. */
export class KafkaRangeReader {
  private cluster: Cluster | undefined;
  private connecting: Promise<Cluster> | undefined;
  private closed = false;
  /** Reads in progress: close() waits for them, since kafkajs reopens a connection on any request. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * Per broker, the fetch that is opening its connection. kafkajs opens a connection on the first
   * request and does not guard it: two concurrent first fetches open two sockets and leak one.
   */
  private readonly opening = new Map<string, Promise<void>>();
  private readonly Batch: BatchClass;
  private readonly shortReadWaitMs: number;

  constructor(
    private readonly kafka: Kafka,
    options: RangeReaderOptions = {},
  ) {
    this.shortReadWaitMs = options.shortReadWaitMs ?? DEFAULT_SHORT_READ_WAIT_MS;
    const { version } = require('kafkajs/package.json') as { version: string };
    if (version !== SUPPORTED_VERSION)
      throw new Error(
        `the range reader drives kafkajs ${SUPPORTED_VERSION} internals; found kafkajs ${version}`,
      );
    this.Batch = require('kafkajs/src/consumer/batch.js') as BatchClass;
  }

  /** Every record of [firstOffset, lastOffset] that is still on the log, in offset order. */
  async read(range: BatchRange): Promise<RangeRead> {
    if (this.closed) throw new Error('the range reader is closed (worker shutting down)');
    const reading = this.readOpen(range);
    this.inFlight.add(reading);
    try {
      return await reading;
    } finally {
      this.inFlight.delete(reading);
    }
  }

  private async readOpen(range: BatchRange): Promise<RangeRead> {
    const cluster = await this.connected();
    await cluster.addTargetTopic(range.topic);
    const last = BigInt(range.lastOffset);
    const records: RangeRecord[] = [];
    let next = BigInt(range.firstOffset);
    let logStartOffset = -1n;
    let highWatermark = -1n;
    let fetchBytes = firstFetchBytes(last - next + 1n);
    let decoded = 0;
    let shortSince: number | undefined;
    let poll = SHORT_READ_FIRST_POLL_MS;
    const result = (outOfRange: boolean): RangeRead => ({
      records,
      logStartOffset,
      highWatermark,
      outOfRange,
      decoded,
      waitedMs: shortSince === undefined ? 0 : Math.round(performance.now() - shortSince),
    });
    for (let round = 0; next <= last; round++) {
      let partition: FetchPartition;
      try {
        partition = await this.fetchOnce(cluster, range, next, fetchBytes);
      } catch (err) {
        if ((err as { type?: string }).type === 'OFFSET_OUT_OF_RANGE') return result(true);
        // A leader moved or the metadata is stale: refresh once, then let the caller retry.
        await cluster.refreshMetadata().catch(() => undefined);
        throw err;
      }
      highWatermark = BigInt(partition.highWatermark);
      if (partition.lastStartOffset !== undefined && round === 0)
        logStartOffset = BigInt(partition.lastStartOffset);
      decoded += partition.messages.length;
      const batch = new this.Batch(range.topic, next.toString(), partition);
      for (const m of batch.messages) {
        const offset = BigInt(m.offset);
        if (offset > last) break;
        records.push({
          offset: m.offset,
          timestamp: m.timestamp,
          key: m.key,
          value: m.value,
          headers: m.headers ?? {},
          undecodable: undecodableReason(m),
        });
      }
      if (partition.messages.length === 0) {
        // Nothing more at this offset. If the log (what a read-committed fetch sees of it) ends at or
        // before the range's last offset, wait for it, bounded: the bridge saw those records.
        const stable = BigInt(partition.lastStableOffset ?? '-1');
        const end = stable >= 0n ? stable : highWatermark;
        if (end > last) break;
        shortSince ??= performance.now();
        const left = this.shortReadWaitMs - (performance.now() - shortSince);
        if (left <= 0 || this.closed) break;
        await sleep(Math.min(poll, left));
        poll = Math.min(SHORT_READ_MAX_POLL_MS, poll * 2);
        continue;
      }
      const after = BigInt(batch.lastOffset()) + 1n;
      if (after <= next) break;
      fetchBytes = nextFetchBytes(fetchBytes, after - next, last - after + 1n);
      next = after;
    }
    return result(false);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    const cluster = this.cluster ?? (await this.connecting?.catch(() => undefined));
    this.cluster = undefined;
    this.connecting = undefined;
    await cluster?.disconnect();
  }

  private async fetchOnce(
    cluster: Cluster,
    range: BatchRange,
    offset: bigint,
    maxBytes: number,
  ): Promise<FetchPartition> {
    const leaders = await cluster.findLeaderForPartitions(range.topic, [range.partition]);
    const nodeId = Object.keys(leaders)[0];
    if (nodeId === undefined) throw new Error(`no leader for ${range.topic}/${range.partition}`);
    const broker = await cluster.findBroker({ nodeId });
    const request = {
      replicaId: -1,
      isolationLevel: READ_COMMITTED,
      maxWaitTime: 0,
      minBytes: 1,
      maxBytes,
      topics: [
        {
          topic: range.topic,
          partitions: [{ partition: range.partition, fetchOffset: offset.toString(), maxBytes }],
        },
      ],
    };
    // Only the range's records are materialized: a producer's batch may hold tens of thousands more.
    const offsets = { from: offset, to: BigInt(range.lastOffset) };
    const response = await withDecodeScope({ offsets }, () => this.fetchVia(nodeId, broker, request));
    const found = response.responses
      .find((r) => r.topicName === range.topic)
      ?.partitions.find((p) => p.partition === range.partition);
    if (!found) throw new Error(`fetch of ${range.topic}/${range.partition} returned no partition`);
    return found;
  }

  /** broker.fetch, alone while the broker's fetch connection is being opened. */
  private async fetchVia(nodeId: string, broker: Broker, request: object): ReturnType<Broker['fetch']> {
    for (let open = this.opening.get(nodeId); open; open = this.opening.get(nodeId)) await open;
    if (broker.connectionPool?.pool?.[1]?.isConnected() === true) return broker.fetch(request);
    const fetching = broker.fetch(request);
    const settled = fetching.then(
      () => undefined,
      () => undefined,
    );
    this.opening.set(nodeId, settled);
    try {
      return await fetching;
    } finally {
      if (this.opening.get(nodeId) === settled) this.opening.delete(nodeId);
    }
  }

  private async connected(): Promise<Cluster> {
    if (this.cluster) return this.cluster;
    this.connecting ??= (async () => {
      const factory = Object.getOwnPropertySymbols(this.kafka).find(
        (s) => s.description === 'private:Kafka:createCluster',
      );
      if (!factory) throw new Error('kafkajs cluster factory not found');
      const create = (this.kafka as unknown as Record<symbol, (o: object) => Cluster>)[factory]!;
      const cluster = create({
        metadataMaxAge: 300_000,
        allowAutoTopicCreation: false,
        isolationLevel: READ_COMMITTED,
      });
      await cluster.connect();
      this.cluster = cluster;
      return cluster;
    })().catch((err: unknown) => {
      this.connecting = undefined;
      throw err;
    });
    return this.connecting;
  }
}
