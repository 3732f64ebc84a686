/** The human report at the end of a bench run: one block per figure, same numbers as results.json. */
import { Fleet } from '../local/simulator/fleet.js';
import type { BenchResults } from './bench-results.js';
import type { RoleUsage } from './proc-stats.js';
import { formatCount } from '../local/lib/format.js';

/** Mean size in bytes of a valid SensorData record's value, from a sample of the fleet the bench drives. */
export function avgEventBytes(seed: number): number {
  const fleet = new Fleet({
    runId: 'b0000000000-0p0',
    devices: 1000,
    seed,
    malformedRate: 0,
    duplicateRate: 0,
    hotDevices: 0,
  });
  const sample = fleet.next(5000);
  const bytes = sample.reduce((sum, m) => sum + Buffer.byteLength(m.value as string), 0);
  return bytes / sample.length;
}

const int = (n: number) => formatCount(n);
const dec = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

/** CPU µs per event: cores (CPU seconds per second) over events per second. */
const perEvent = (cores: number, eventsPerS: number) =>
  eventsPerS > 0 ? `${int((cores * 1e6) / eventsPerS)} µs/event` : 'n/a';

/** The chart's limit beside the peak, flagged when the peak passed it (the pod would be OOM-killed). */
const limit = (u: RoleUsage) =>
  u.limitMiB === undefined
    ? ''
    : ` of a ${int(u.limitMiB)} MiB limit${u.peakRssMiB > u.limitMiB ? ' (OVER THE LIMIT)' : ''}`;

function usageLines(usage: Record<string, RoleUsage>, eventsPerS: number): string[] {
  return Object.entries(usage)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([role, u]) =>
        `    ${role.padEnd(20)} cpu avg ${dec(u.avgCores)} cores (${perEvent(u.avgCores, eventsPerS)}), peak ${dec(u.peakCores)} | rss avg ${int(u.avgRssMiB)} MiB, peak ${int(u.peakRssMiB)} MiB${limit(u)} | pss peak ${int(u.peakPssMiB)} MiB`,
    );
}

export function printReport(r: BenchResults, say: (line: string) => void): void {
  say('');
  say(
    `bench ${r.runId} report (${int(r.elapsedS)} s; ${r.provenance.machine.cores} cores, ${r.provenance.machine.cpu}; commit ${r.provenance.gitCommit})`,
  );
  if (r.search) {
    say('  max search (probe: input events/s → bounded?, processed/s):');
    for (const t of r.search)
      say(`    ${int(t.rate)}/s → ${t.bounded ? 'bounded' : 'NOT bounded'}, ${int(t.processedPerS)}/s`);
  }
  for (const p of r.phases.filter((x) => x.name === r.main || x.name === r.half)) {
    say(
      `  phase ${p.name}: input ${int(p.targetRate ?? NaN)} events/s for ${p.durationS} s (window ${int((p.windowEnd - p.windowStart) / 1000)} s after ${p.warmupS} s warm-up)`,
    );
    say(
      `    throughput            ${int(p.eventsPerMinute)} events/min (${int(p.processedPerS)}/s processed, ${int(p.producedPerS)}/s produced)`,
    );
    say(`    lag bounded           ${p.verdict.bounded ? 'yes' : 'NO'}: ${p.verdict.reason}`);
    if (p.latencyMs)
      say(
        `    latency ms            p50 ${int(p.latencyMs.p50)}, p95 ${int(p.latencyMs.p95)}, p99 ${int(p.latencyMs.p99)}, max ${int(p.latencyMs.max)} (${int(p.latencyMs.count)} events)`,
      );
    if (p.temporal)
      say(
        `    temporal              ${int(p.temporal.batchWorkflows)} batch + ${int(p.temporal.alertWorkflows)} alert workflows;` +
          ` ${dec(p.temporal.workflowsPer1000Events, 3)} workflows and ${dec(p.temporal.historyEventsPer1000Events)} history events per 1,000 events;` +
          ` ${dec(p.temporal.avgEventsPerBatch, 0)} events/batch, ${dec(p.temporal.avgBatchHistoryLength, 1)} history events/batch (${int(p.temporal.historiesSampled)} read)`,
      );
    say(
      `    processes (machine busy ${dec(p.machineBusyCores)} cores of ${r.provenance.machine.cores}, ${perEvent(p.machineBusyCores, p.processedPerS)}):`,
    );
    for (const line of usageLines(p.usage, p.processedPerS)) say(line);
  }
  if (r.baselines && r.ratios) {
    const { naive, ceiling } = r.baselines;
    say(
      `  baseline naive (one workflow per event): ${int(naive.eventsPerMinute)} events/min over ${int(naive.windowS)} s${naive.saturated ? '' : ' (kept up with its input: a lower bound)'}`,
    );
    for (const line of usageLines(naive.usage, naive.eventsPerMinute / 60)) say(line);
    say(
      `  baseline ceiling (kafkajs pass-through): ${int(ceiling.eventsPerMinute)} records/min over ${dec(ceiling.windowS, 1)} s (backlog ${int(ceiling.offered)} records)`,
    );
    for (const line of usageLines(ceiling.usage, ceiling.eventsPerMinute / 60)) say(line);
    say(
      `  ratios: ours/naive ${dec(r.ratios.oursOverNaive, 1)}x, ours/ceiling ${dec(r.ratios.oursOverCeiling, 3)}`,
    );
  }
  const main = r.phases.find((x) => x.name === r.main);
  if (main && !main.verdict.bounded)
    say(
      `  WARNING: lag was not bounded in the ${main.name} phase: its throughput is what an overloaded pipeline processed, not a sustained rate`,
    );
  say(`  average event size ${int(r.avgEventBytes)} bytes`);
  if (r.profiles) {
    for (const [proc, top] of Object.entries(r.profiles)) {
      say(`  profile ${proc}: top functions by self time`);
      for (const f of top)
        say(
          `    ${dec(f.selfPercent, 1).padStart(5)} %  ${int(f.selfMs).padStart(7)} ms  ${f.fn}  ${f.location}`,
        );
    }
  }
  say(`  plots: ${r.plots.join(', ')}`);
  for (const c of r.exactlyOnce.checks) say(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  say(r.exactlyOnce.ok ? 'exactly-once check: OK' : 'exactly-once check: FAILED');
}
