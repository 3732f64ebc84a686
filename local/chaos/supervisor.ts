/**
 * What watches a chaos run while faults hit it: one sample a second (the pipeline's counts, the
 * bridge's lag and pause state, open batch workflows, memory), and the supervision that Kubernetes
 * would do: a process or server that dies on its own is restarted and reported as unplanned.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';
import type { StackConfig } from '../config.js';
import { tailFile } from '../lib/proc.js';
import { fmt, type PipelineRun } from '../pipeline-run.js';
import { rssMiB, statusLine, type RunSnapshot } from '../run-progress.js';
import { scrapeMetric } from '../pipeline-processes.js';
import { BRIDGE_METRICS } from '../../workers/shared/metrics.js';
import { BRIDGE_CONSUMER_GROUP, TOPICS } from '../../workers/shared/topics.js';
import { serverRunning, startServer } from './chaos-stack.js';

export interface Sample {
  readonly snap: RunSnapshot;
  /** Records of sensor-data not yet committed by the bridge (not yet in a batch workflow). */
  readonly bridgeLag: number | undefined;
  readonly paused: number;
  readonly openBatches: number;
  readonly rss: { bridge: number | undefined; worker: number | undefined };
}

export type Server = 'kafka' | 'postgres' | 'temporal';
const SERVERS: readonly Server[] = ['postgres', 'kafka', 'temporal'];

/** Events of sensor-data validated but not yet processed, at a sample. */
export function lagOf(s: Sample): number | undefined {
  return s.snap.processed === undefined ? undefined : Math.max(0, s.snap.valid - s.snap.processed);
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export interface SupervisorOptions {
  readonly run: PipelineRun;
  readonly config: StackConfig;
  readonly started: number;
  readonly say: (line: string) => void;
  readonly interrupted: () => boolean;
  /** Whether the load has stopped (the status line then says "drain"). */
  readonly draining: () => boolean;
}

export class ChaosSupervisor {
  readonly samples: Sample[] = [];
  readonly unplannedExits: string[] = [];
  /** Processes being killed and restarted on purpose; supervision leaves them alone. */
  private readonly planned = new Set<string>();
  private readonly lastRelaunch = new Map<string, number>();
  private admin: Admin | undefined;
  private stopped = false;
  private previous: RunSnapshot | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly opts: SupervisorOptions) {}

  /** Samples once a second until stop(). */
  start(): void {
    this.loop = (async () => {
      let tick = 0;
      while (!this.stopped) {
        await this.sampleOnce(tick++).catch((err: unknown) => this.opts.say(`!! monitor: ${String(err)}`));
        await sleep(1000);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop?.catch(() => undefined);
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = undefined;
  }

  latest(): Sample | undefined {
    return this.samples[this.samples.length - 1];
  }

  recent(n: number): Sample[] {
    return this.samples.slice(-n);
  }

  /** Runs `action` on a process that must not be restarted meanwhile (a planned kill). */
  async whilePlanned<T>(name: string, action: () => Promise<T>): Promise<T> {
    this.planned.add(name);
    try {
      return await action();
    } finally {
      this.planned.delete(name);
    }
  }

  reportUnplanned(why: string): void {
    this.unplannedExits.push(why);
  }

  /** A server that died on its own (Temporal losing its database, say) is reported and started again. */
  async ensureServers(): Promise<void> {
    for (const server of SERVERS) {
      if (serverRunning(server)) continue;
      const why = `${server} server exited on its own at ${this.secondsIn()} s`;
      this.unplannedExits.push(why);
      this.opts.say(`!! ${why}; starting it again`);
      await startServer(server, this.opts.config);
    }
  }

  private secondsIn(): number {
    return Math.round((Date.now() - this.opts.started) / 1000);
  }

  private async sampleOnce(tick: number): Promise<void> {
    const { run, say } = this.opts;
    const snap = await run.snapshot();
    const sample: Sample = {
      snap,
      bridgeLag: await this.bridgeLag(),
      paused: await scrapeMetric(run.bridge, BRIDGE_METRICS.pausedPartitions),
      openBatches: await scrapeMetric(run.bridge, BRIDGE_METRICS.inFlightBatches),
      rss: {
        bridge: rssMiB(run.bridge.child.pid),
        worker: Math.max(0, ...run.workers.map((w) => rssMiB(w.child.pid) ?? 0)) || undefined,
      },
    };
    this.samples.push(sample);
    this.superviseProcesses();
    if (tick % 5 === 0) {
      say(
        `${statusLine(this.opts.draining() ? 'drain' : 'chaos', snap, this.previous, this.opts.started)}` +
          ` | bridge lag ${sample.bridgeLag === undefined ? '?' : fmt(sample.bridgeLag)}` +
          `${sample.paused > 0 ? ' PAUSED' : ''} | open batches ${fmt(sample.openBatches)}` +
          ` | rss bridge ${sample.rss.bridge?.toFixed(0) ?? '?'} MiB, worker ${sample.rss.worker?.toFixed(0) ?? '?'} MiB`,
      );
      this.previous = snap;
      await run.acknowledgeSome().catch(() => undefined);
    }
  }

  private async bridgeLag(): Promise<number | undefined> {
    try {
      if (!this.admin) {
        this.admin = this.opts.run.kafka.admin();
        await this.admin.connect();
      }
      const [committed] = await this.admin.fetchOffsets({
        groupId: BRIDGE_CONSUMER_GROUP,
        topics: [TOPICS.sensorData],
      });
      const ends = await this.admin.fetchTopicOffsets(TOPICS.sensorData);
      let lag = 0;
      for (const end of ends) {
        const c = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
        lag += Number(end.high) - Math.max(0, Number(c));
      }
      return lag;
    } catch {
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = undefined;
      return undefined;
    }
  }

  /** A process that dies on its own is restarted as Kubernetes would (with a back-off) and reported. */
  private superviseProcesses(): void {
    const { run, say } = this.opts;
    // Ctrl-C reaches the children too (same process group): their exit is then no fault.
    if (this.opts.interrupted()) return;
    for (const p of run.processes.values()) {
      if (this.planned.has(p.name) || (p.child.exitCode === null && p.child.signalCode === null)) continue;
      if (Date.now() - (this.lastRelaunch.get(p.name) ?? 0) < 5_000) continue;
      this.lastRelaunch.set(p.name, Date.now());
      const why = `${p.name} exited on its own (code ${p.child.exitCode}, signal ${p.child.signalCode}) at ${this.secondsIn()} s`;
      this.unplannedExits.push(why);
      say(`!! ${why}; restarting it. Log tail:\n${tailFile(p.logFile, 8)}`);
      void this.whilePlanned(p.name, () => run.relaunch(p.name)).catch((err: unknown) =>
        say(`!! restart of ${p.name} failed: ${String(err)}`),
      );
    }
  }
}
