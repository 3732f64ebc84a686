/**
 * `--profile`: the bridge and worker run with --cpu-prof and write a V8 .cpuprofile on exit; this
 * reads them back and ranks functions by self time (samples whose top frame is the function).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../local/lib/paths.js';

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileTop {
  readonly fn: string;
  readonly location: string;
  readonly selfMs: number;
  readonly selfPercent: number;
}

/** Frames that are not code: time the thread waited, or V8 outside JavaScript. */
const NOT_CODE = new Set(['(idle)', '(program)']);

/** Top `n` functions by self time of one .cpuprofile; percentages of the thread's busy (non-idle) time. */
export function profileTop(file: string, n: number): ProfileTop[] {
  return rank(file).top.slice(0, n);
}

function rank(file: string): { busyUs: number; top: ProfileTop[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, { fn: string; location: string; us: number }>();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byNode.get(id);
    if (!frame) return;
    const fn = frame.functionName || '(anonymous)';
    if (NOT_CODE.has(fn)) return;
    busy += dt;
    const url = frame.url.startsWith('file://') ? relative(repoRoot, frame.url.slice(7)) : frame.url;
    const location = url ? `${url}:${frame.lineNumber + 1}` : '';
    const key = `${fn} ${location}`;
    const entry = self.get(key) ?? { fn, location, us: 0 };
    entry.us += dt;
    self.set(key, entry);
  });
  const top = [...self.values()]
    .sort((a, b) => b.us - a.us)
    .map((e) => ({
      fn: e.fn,
      location: e.location,
      selfMs: e.us / 1000,
      selfPercent: busy > 0 ? (100 * e.us) / busy : 0,
    }));
  return { busyUs: busy, top };
}

/**
 * For each process directory under `dir` (bridge, worker-0, ...), the top functions of its busiest
 * thread's profile: Node writes one per thread (main, the loader-hooks thread, workflow threads).
 */
export function topFunctions(dir: string, n: number): Record<string, ProfileTop[]> {
  const out: Record<string, ProfileTop[]> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const ranked = readdirSync(join(dir, name))
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => rank(join(dir, name, f)))
      .sort((a, b) => b.busyUs - a.busyUs);
    if (ranked[0]) out[name] = ranked[0].top.slice(0, n);
  }
  return out;
}
