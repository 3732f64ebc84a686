/**
 * CPU and memory of the processes under test, read from /proc: for each role a root pid and all of
 * its descendants (Postgres forks a backend per connection, the servers may run under a wrapper).
 * CPU is utime+stime of the live processes plus cutime+cstime (reaped children), so a backend that
 * exits between two samples still counts; RSS is the sum of VmRSS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../local/lib/paths.js';

export interface ProcSample {
  /** Cumulative CPU seconds of the tree. */
  readonly cpuSeconds: number;
  /** Sum of VmRSS: counts pages shared between the tree's processes once per process. */
  readonly rssBytes: number;
  /** Sum of PSS: shared pages split between their sharers, so the tree's real footprint. */
  readonly pssBytes: number;
}

interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuTicks: number;
}

let clockTicks: number | undefined;

/** Clock ticks per second of /proc's CPU counters (100 on every Linux we run on; asked once). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

function readStat(pid: number): ProcEntry | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
    const n = (field: number) => Number(fields[field - 3]);
    return { pid, ppid: n(4), cpuTicks: n(14) + n(15) + n(16) + n(17) };
  } catch {
    return undefined;
  }
}

function memory(pid: number): { rss: number; pss: number } {
  const kb = (file: string, field: string) => {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
        readFileSync(`/proc/${pid}/${file}`, 'utf8'),
      );
      return match ? Number(match[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  };
  const rss = kb('status', 'VmRSS') ?? 0;
  return { rss, pss: kb('smaps_rollup', 'Pss') ?? rss };
}

/** One pass over /proc: every process with its parent, for the tree walks of one sampling round. */
function processTable(): Map<number, ProcEntry> {
  const table = new Map<number, ProcEntry>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readStat(Number(name));
    if (entry) table.set(entry.pid, entry);
  }
  return table;
}

function tree(table: Map<number, ProcEntry>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of table.values()) {
    const list = children.get(e.ppid);
    if (list) list.push(e.pid);
    else children.set(e.ppid, [e.pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    if (!table.has(pid)) continue;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** Samples every role's tree now. Roles whose root is gone sample as undefined. */
export function sampleTrees(roots: ReadonlyMap<string, number>): {
  at: number;
  trees: Map<string, ProcSample | undefined>;
} {
  const table = processTable();
  // The CPU counters are as of now; reading memory below may take a while on a loaded machine.
  const at = Date.now();
  const hz = ticksPerSecond();
  const out = new Map<string, ProcSample | undefined>();
  for (const [role, root] of roots) {
    const pids = tree(table, root);
    if (pids.length === 0) {
      out.set(role, undefined);
      continue;
    }
    let ticks = 0;
    let rss = 0;
    let pss = 0;
    for (const pid of pids) {
      ticks += table.get(pid)!.cpuTicks;
      const m = memory(pid);
      rss += m.rss;
      pss += m.pss;
    }
    out.set(role, { cpuSeconds: ticks / hz, rssBytes: rss, pssBytes: pss });
  }
  return { at, trees: out };
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
export function machineCpu(): { busySeconds: number; totalSeconds: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are not busy.
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const hz = ticksPerSecond();
  return { busySeconds: (total - idle) / hz, totalSeconds: total / hz };
}

export interface RoleUsage {
  /** Average cores used over the window (CPU seconds / wall seconds). */
  avgCores: number;
  /** Highest cores used between two consecutive samples. */
  peakCores: number;
  avgRssMiB: number;
  peakRssMiB: number;
  /** PSS: the footprint without double-counting shared pages (Postgres' shared buffers). */
  avgPssMiB: number;
  peakPssMiB: number;
  samples: number;
  /** The memory limit our chart gives this role's pod (bridge, worker-*), MiB; none for the servers. */
  limitMiB?: number;
}

/** Which of our charts runs a role: the bridge and the workers (worker, worker-2, ...). */
function chartOf(role: string): string | undefined {
  if (role === 'bridge') return 'ingest-bridge';
  if (role.startsWith('worker')) return 'sensor-worker';
  return undefined;
}

const chartLimits = new Map<string, number | undefined>();

/** resources.limits.memory of the chart that deploys `role`, MiB (values.yaml's default). */
export function chartMemoryLimitMiB(role: string): number | undefined {
  const chart = chartOf(role);
  if (!chart) return undefined;
  if (!chartLimits.has(chart)) {
    const values = parse(readFileSync(join(repoRoot, 'charts', chart, 'values.yaml'), 'utf8')) as {
      resources?: { limits?: { memory?: string } };
    };
    const match = /^(\d+)(Mi|Gi)$/.exec(values.resources?.limits?.memory ?? '');
    chartLimits.set(chart, match ? Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1) : undefined);
  }
  return chartLimits.get(chart);
}

export interface Snapshot {
  readonly machine: { busySeconds: number; totalSeconds: number };
  readonly machineAt: number;
  readonly at: number;
  readonly trees: Map<string, ProcSample | undefined>;
}

interface Track {
  first?: { at: number; cpu: number };
  last?: { at: number; cpu: number };
  peakCores: number;
  rssSum: number;
  peakRss: number;
  pssSum: number;
  peakPss: number;
  samples: number;
  /** Cores between the last two samples, for the live progress line. */
  nowCores: number;
}

/**
 * Accumulates samples of several process trees over a window: average and peak cores and RSS per
 * role, and the machine's own busy share so that other load on a shared machine shows in the report.
 */
export class UsageRecorder {
  private readonly tracks = new Map<string, Track>();
  private machineFirst?: { at: number; busy: number; total: number };
  private machineLast?: { at: number; busy: number; total: number };
  private machineNow = 0;

  constructor(private readonly roots: Map<string, number>) {}

  setRoot(role: string, pid: number): void {
    this.roots.set(role, pid);
  }

  deleteRoot(role: string): void {
    this.roots.delete(role);
  }

  /** Reads /proc once for every root (memory reads are slow on a busy machine: share the snapshot). */
  snapshot(): Snapshot {
    const machine = machineCpu();
    const machineAt = Date.now();
    return { machine, machineAt, ...sampleTrees(this.roots) };
  }

  /** Adds one sample; rates use the time at which the counters were read, not when this was called. */
  sample(snapshot: Snapshot = this.snapshot()): void {
    const { machine: m, machineAt, at: now, trees } = snapshot;
    for (const [role, s] of trees) {
      if (!s) continue;
      let t = this.tracks.get(role);
      if (!t) {
        t = { peakCores: 0, rssSum: 0, peakRss: 0, pssSum: 0, peakPss: 0, samples: 0, nowCores: 0 };
        this.tracks.set(role, t);
      }
      if (t.last && now > t.last.at) {
        t.nowCores = (s.cpuSeconds - t.last.cpu) / ((now - t.last.at) / 1000);
        t.peakCores = Math.max(t.peakCores, t.nowCores);
      }
      t.first ??= { at: now, cpu: s.cpuSeconds };
      t.last = { at: now, cpu: s.cpuSeconds };
      t.rssSum += s.rssBytes;
      t.peakRss = Math.max(t.peakRss, s.rssBytes);
      t.pssSum += s.pssBytes;
      t.peakPss = Math.max(t.peakPss, s.pssBytes);
      t.samples++;
    }
    if (this.machineLast && machineAt > this.machineLast.at)
      this.machineNow = (m.busySeconds - this.machineLast.busy) / ((machineAt - this.machineLast.at) / 1000);
    this.machineFirst ??= { at: machineAt, busy: m.busySeconds, total: m.totalSeconds };
    this.machineLast = { at: machineAt, busy: m.busySeconds, total: m.totalSeconds };
  }

  /** Cores per role between the last two samples. */
  current(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [role, t] of this.tracks) out[role] = t.nowCores;
    out.machine = this.machineNow;
    return out;
  }

  /** Per role; a role sampled fewer than twice here takes its figures from `fallback` (a longer window). */
  usage(fallback?: UsageRecorder): Record<string, RoleUsage> {
    const out: Record<string, RoleUsage> = fallback ? fallback.usage() : {};
    const mib = 1024 * 1024;
    for (const [role, t] of this.tracks) {
      if (fallback && t.samples < 2) continue;
      const wall = t.first && t.last ? (t.last.at - t.first.at) / 1000 : 0;
      out[role] = {
        avgCores: wall > 0 ? (t.last!.cpu - t.first!.cpu) / wall : 0,
        peakCores: t.peakCores,
        avgRssMiB: t.samples > 0 ? t.rssSum / t.samples / mib : 0,
        peakRssMiB: t.peakRss / mib,
        avgPssMiB: t.samples > 0 ? t.pssSum / t.samples / mib : 0,
        peakPssMiB: t.peakPss / mib,
        samples: t.samples,
        limitMiB: chartMemoryLimitMiB(role),
      };
    }
    return out;
  }

  /** Average busy cores of the whole machine over the window (all processes, ours and others'). */
  machineBusyCores(fallback?: UsageRecorder): number {
    const wall =
      this.machineFirst && this.machineLast ? (this.machineLast.at - this.machineFirst.at) / 1000 : 0;
    if (wall <= 0) return fallback ? fallback.machineBusyCores() : 0;
    return (this.machineLast!.busy - this.machineFirst!.busy) / wall;
  }
}
