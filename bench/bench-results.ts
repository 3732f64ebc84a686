/** Everything one `npm run bench` run measured: written to results.json, read by the report and the calibration. */
import type { BaselineResult } from './baselines.js';
import type { Provenance } from './environment.js';
import type { BenchOptions } from './options.js';
import type { ExactlyOnce, OursPhase } from './ours.js';
import type { ProfileTop } from './profile.js';

export interface BenchResults {
  readonly provenance: Provenance;
  readonly options: BenchOptions;
  readonly runId: string;
  readonly outDir: string;
  readonly phases: Omit<OursPhase, 'latencySorted'>[];
  /** The phase at the rate (or the max) and the phase at 50 % of it. */
  readonly main: string;
  readonly half: string;
  readonly search?: { rate: number; bounded: boolean; processedPerS: number }[];
  readonly exactlyOnce: ExactlyOnce;
  readonly baselines?: { naive: BaselineResult; ceiling: BaselineResult };
  readonly ratios?: { oursOverNaive: number; oursOverCeiling: number };
  readonly avgEventBytes: number;
  readonly plots: string[];
  readonly profiles?: Record<string, ProfileTop[]>;
  readonly elapsedS: number;
}
