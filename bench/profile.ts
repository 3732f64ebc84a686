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

/** Top `n` functions by self time of one .cpuprofile. */
export function profileTop(file: string, n: number): ProfileTop[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byNode = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, { fn: string; location: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    total += dt;
    const frame = byNode.get(id);
    if (!frame) return;
    const url = frame.url.startsWith('file://') ? relative(repoRoot, frame.url.slice(7)) : frame.url;
    const location = url ? `${url}:${frame.lineNumber + 1}` : '';
    const fn = frame.functionName || '(anonymous)';
    const key = `${fn} ${location}`;
    const entry = self.get(key) ?? { fn, location, us: 0 };
    entry.us += dt;
    self.set(key, entry);
  });
  return [...self.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({
      fn: e.fn,
      location: e.location,
      selfMs: e.us / 1000,
      selfPercent: total > 0 ? (100 * e.us) / total : 0,
    }));
}

/** For each process directory under `dir` (bridge, worker-0, ...), the top functions of its main thread's profile. */
export function topFunctions(dir: string, n: number): Record<string, ProfileTop[]> {
  const out: Record<string, ProfileTop[]> = {};
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const files = readdirSync(join(dir, name)).filter((f) => f.endsWith('.cpuprofile'));
    // The main thread's profile carries the --cpu-prof-name; worker threads get generated names.
    const main = files.find((f) => f === `${name}.cpuprofile`) ?? files[0];
    if (main) out[name] = profileTop(join(dir, name, main), n);
  }
  return out;
}
