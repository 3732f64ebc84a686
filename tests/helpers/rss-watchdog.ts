/**
 * Samples the resident memory (VmRSS) of processes every ~200 ms, as the kubelet's cgroup would see
 * them grow, and remembers each one's peak and the first sample over its limit. A pod is OOM-killed
 * the moment it crosses its limit, so a test fails on any sample above it, not on an average.
 */
import { readFileSync } from 'node:fs';

export interface WatchedProcess {
  readonly name: string;
  readonly pid: number;
  /** The pod's memory limit, bytes. */
  readonly limitBytes: number;
}

export interface RssPeak {
  readonly name: string;
  readonly peakBytes: number;
  readonly limitBytes: number;
  /** The first sample above the limit: bytes and ms since the watch started. */
  readonly over?: { readonly bytes: number; readonly atMs: number };
  readonly samples: number;
}

/** VmRSS of a live process, bytes; undefined once it has exited. */
export function vmRssBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export class RssWatchdog {
  private readonly peaks = new Map<string, { peak: number; over?: RssPeak['over']; samples: number }>();
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly processes: readonly WatchedProcess[],
    intervalMs = 200,
  ) {
    for (const p of processes) this.peaks.set(p.name, { peak: 0, samples: 0 });
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    for (const p of this.processes) {
      const rss = vmRssBytes(p.pid);
      if (rss === undefined) continue;
      const track = this.peaks.get(p.name)!;
      track.samples++;
      track.peak = Math.max(track.peak, rss);
      if (rss > p.limitBytes && !track.over) track.over = { bytes: rss, atMs: Date.now() - this.started };
    }
  }

  /** Peaks so far; the first process over its limit, if any. */
  report(): { peaks: RssPeak[]; over: RssPeak | undefined } {
    const peaks = this.processes.map((p) => {
      const t = this.peaks.get(p.name)!;
      return { name: p.name, peakBytes: t.peak, limitBytes: p.limitBytes, over: t.over, samples: t.samples };
    });
    return { peaks, over: peaks.find((p) => p.over) };
  }

  stop(): { peaks: RssPeak[]; over: RssPeak | undefined } {
    clearInterval(this.timer);
    this.sample();
    return this.report();
  }
}

const MIB = 1024 * 1024;

/** "bridge 412 MiB of 512, worker-1 380 MiB of 512, ..." */
export function formatPeaks(peaks: readonly RssPeak[]): string {
  return peaks
    .map(
      (p) =>
        `${p.name} ${Math.round(p.peakBytes / MIB)} MiB of ${Math.round(p.limitBytes / MIB)}` +
        (p.over
          ? ` (over at ${(p.over.atMs / 1000).toFixed(1)} s: ${Math.round(p.over.bytes / MIB)} MiB)`
          : ''),
    )
    .join(', ');
}
