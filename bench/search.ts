/**
 * --max: searches the highest input rate at which lag stays bounded (stats.ts defines bounded), with
 * short probe phases: doubling while bounded, then narrowing between the best bounded rate and the
 * lowest unbounded one, until they are within 10 % of each other. An unbounded probe also tells how
 * much the pipeline did process under overload; the next probe aims just below that when it lies
 * inside the gap, and halves the gap when it does not.
 */
import type { BenchOptions } from './options.js';
import type { PhasePlan, PhaseResult } from './phase.js';
import { formatCount } from '../local/lib/format.js';

export interface SearchTrial {
  readonly rate: number;
  readonly bounded: boolean;
  readonly processedPerS: number;
}

/** Rates are rounded to a readable step so that reports and calibration show what actually ran. */
function roundRate(r: number): number {
  const step = r >= 10_000 ? 500 : r >= 1000 ? 100 : 10;
  return Math.max(step, Math.round(r / step) * step);
}

/** The part of a pipeline the search drives: one probe phase at a rate. */
export interface Probed {
  runPhase(plan: PhasePlan): Promise<Pick<PhaseResult, 'verdict' | 'processedPerS'>>;
}

export async function searchMax(
  ours: Probed,
  opts: Pick<BenchOptions, 'quick'>,
  say: (line: string) => void,
  interrupted: () => boolean,
): Promise<{ rate: number; trials: SearchTrial[] }> {
  // 60 s: with 1 s batches the lag swings by a second of input, and a 40 s probe's last third (13 s)
  // was too short to tell that swing from a pipeline falling behind (24,000/s passed a probe on
  // 2026-12-01, then fell behind from the start of its 300 s measurement).
  const probeS = opts.quick ? 15 : 60;
  // 10: doubling from 2,000/s takes 6 probes to pass 64,000/s, narrowing to 10 % 3 or 4 more.
  const maxProbes = opts.quick ? 3 : 10;
  const trials: SearchTrial[] = [];
  let lo: SearchTrial | undefined;
  let hi: SearchTrial | undefined;
  let rate = opts.quick ? 500 : 2000;
  for (let i = 1; i <= maxProbes && !interrupted(); i++) {
    say(`search: probe ${i} at ${formatCount(rate)} events/s for ${probeS} s`);
    const phase = await ours.runPhase({ name: `probe-${i}`, rate, durationS: probeS, warmupS: probeS / 4 });
    const trial = { rate, bounded: phase.verdict.bounded, processedPerS: phase.processedPerS };
    trials.push(trial);
    say(
      `search: ${formatCount(rate)}/s ${trial.bounded ? 'bounded' : 'NOT bounded'} (${phase.verdict.reason})`,
    );
    if (trial.bounded && (!lo || rate > lo.rate)) lo = trial;
    if (!trial.bounded && (!hi || rate < hi.rate)) hi = trial;
    let next: number;
    if (!hi) next = rate * 2;
    else if (!lo) next = Math.min(hi.processedPerS * 0.9, hi.rate * 0.7);
    else {
      if ((hi.rate - lo.rate) / lo.rate <= 0.1) break;
      // Just below what the overloaded probe processed, kept strictly inside (lo, hi); else halve the
      // gap. An overloaded probe processes less than the pipeline can, because its simulators take
      // more of the machine: on 2026-12-01 the aim landed back on the bounded rate and the search
      // stopped with the gap between 35,500/s and 64,000/s still open.
      const aim = roundRate(hi.processedPerS * 0.95);
      const untried = (r: number) => !trials.some((t) => t.rate === r);
      next = aim > lo.rate * 1.05 && aim < hi.rate * 0.95 && untried(aim) ? aim : (lo.rate + hi.rate) / 2;
    }
    next = roundRate(next);
    if (trials.some((t) => t.rate === next)) break;
    rate = next;
  }
  // No bounded probe at all: the best estimate is a margin under what the lowest probe processed.
  const found = lo?.rate ?? roundRate(Math.min(...trials.map((t) => t.processedPerS)) * 0.8);
  return { rate: found, trials };
}
