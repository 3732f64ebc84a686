/**
 * stacks/capacity/calibration.json: what the capacity calculator scales from. Written by a full run
 * with --max (or --write-calibration), from the phase at the sustainable max and the one at half of
 * it: average cores per process over the measured window, peak resident memory (requests must cover
 * the peak, not the mean).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CALIBRATION_FILE, PROCESSES, type Calibration } from '../stacks/capacity/calibration.js';
import type { BenchResults } from './bench-results.js';
import type { RoleUsage } from './proc-stats.js';

export { CALIBRATION_FILE };

/** The file's shape is the capacity model's (stacks/capacity/calibration.ts, which reads it). */
const ROLES = PROCESSES;

/** Sums the usage of every process of a role (worker-0, worker-1, ... are one role). */
function roleTotal(usage: Record<string, RoleUsage>, role: string, pick: (u: RoleUsage) => number): number {
  return Object.entries(usage)
    .filter(([name]) => name === role || name.startsWith(`${role}-`))
    .reduce((sum, [, u]) => sum + pick(u), 0);
}

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function calibrationOf(results: BenchResults): Calibration {
  const main = results.phases.find((p) => p.name === results.main)!;
  const half = results.phases.find((p) => p.name === results.half)!;
  const t = main.temporal!;
  const per = (pick: (u: RoleUsage) => number, digits: number, phase = main) =>
    Object.fromEntries(ROLES.map((r) => [r, round(roleTotal(phase.usage, r, pick), digits)])) as Record<
      (typeof PROCESSES)[number],
      number
    >;
  return {
    provenance: results.provenance,
    measured: {
      eventsPerMinute: Math.round(main.eventsPerMinute),
      batchEvents: round(t.avgEventsPerBatch, 1),
      workflowsPer1000Events: round(t.workflowsPer1000Events, 3),
      historyEventsPer1000Events: round(t.historyEventsPer1000Events, 2),
      avgEventBytes: Math.round(results.avgEventBytes),
      cpuCoresAtMax: per((u) => u.avgCores, 3),
      // PSS: Postgres' backends share its buffers; summing their VmRSS would count them once per backend.
      rssMiBAtMax: per((u) => u.peakPssMiB, 0),
      // The same at half the rate: memory has a fixed part and a part that grows with the load, and
      // two points tell them apart (stacks/capacity/model.ts sizes pods from both).
      cpuCoresAtHalf: per((u) => u.avgCores, 3, half),
      rssMiBAtHalf: per((u) => u.peakPssMiB, 0, half),
    },
  };
}

export function writeCalibration(results: BenchResults, file = CALIBRATION_FILE): string {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(calibrationOf(results), null, 2)}\n`);
  return file;
}
