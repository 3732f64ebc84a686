/**
 * `npm run bench`: drives the real local stack with the simulated fleet and reports sustained
 * throughput, end-to-end latency, Temporal cost, per-process CPU and RSS and an exactly-once check,
 * next to two baselines on the same servers (one workflow per event; a raw kafkajs pass-through).
 *
 *   npm run bench -- --rate 2000 --duration 120     one rate, then 50 % of it
 *   npm run bench -- --max --duration 300            search the sustainable max; writes the calibration
 *   npm run bench -- --quick                          smoke profile (≤ 3 min), used by the tests
 *
 * Flags and figures: BENCHMARKS.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStackConfig } from '../local/config.js';
import { loadBridgeConfig } from '../workers/config.js';
import { stateDir } from '../local/lib/paths.js';
import { stackUp } from '../local/stack.js';
import { runBaselines } from './baselines.js';
import { writeCalibration } from './calibration.js';
import { machineInfo, provenance } from './environment.js';
import { OptionError, parseBenchArgs } from './options.js';
import { PipelineUnderTest, type ExactlyOnce } from './ours.js';
import { renderPlots } from './plots.js';
import { topFunctions } from './profile.js';
import { avgEventBytes, printReport } from './report.js';
import { searchMax } from './search.js';
import type { BenchResults } from './bench-results.js';
import { formatCount } from '../local/lib/format.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

let interrupted = false;

async function main(): Promise<number> {
  const opts = parseBenchArgs(process.argv.slice(2));
  const started = Date.now();
  const runId = `b${started.toString(36)}`;
  const stamp = new Date(started).toISOString().replace(/[:.]/g, '-');
  const outDir = opts.out ?? join(stateDir(), 'bench', stamp);
  mkdirSync(outDir, { recursive: true });
  const logDirectory = join(outDir, 'logs');
  say(
    `bench ${runId}: ${opts.max ? 'searching the sustainable max' : `${opts.rate} events/s`} for ${opts.durationS} s` +
      ` (warm-up ${opts.warmupS} s), ${opts.devices} devices, ${opts.partitions} partitions, ${opts.producers} producer(s),` +
      ` ${opts.workers} worker(s)${opts.batchSize ? `, batch ${opts.batchSize}` : ''}${opts.quick ? ', quick' : ''}; results in ${outDir}`,
  );
  const machine = machineInfo();
  say(`machine: ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.cpu}`);
  const ep = await stackUp(loadStackConfig());
  const prov = provenance(process.argv.slice(2), machine);
  const sampleMs = opts.quick ? 1000 : 2000;
  const phaseEnv = {
    devices: opts.devices,
    producers: opts.producers,
    compression: opts.compression,
    seed: opts.seed,
    malformedRate: 0.002,
    duplicateRate: 0.002,
    hotDevices: 3,
    sampleMs,
    drainTimeoutS: opts.drainTimeoutS,
    lagBoundS: opts.lagBoundS,
    // The bridge under test holds a fetch up to its batch wait: the lag swings by that much.
    lagNoiseFloorS: 1 + loadBridgeConfig(process.env).maxBatchWaitMs / 1000,
    say,
  };
  const ours = new PipelineUnderTest({
    ep,
    runId,
    workers: opts.workers,
    partitions: opts.partitions,
    batchSize: opts.batchSize,
    profileDir: opts.profile ? join(outDir, 'profiles') : undefined,
    logDirectory,
    phase: phaseEnv,
  });
  let exactlyOnce: ExactlyOnce;
  let search: BenchResults['search'];
  let rate = opts.rate ?? 0;
  try {
    say(
      `starting the bridge and ${opts.workers} worker(s) on topics ${ours.topics.sensorData}, task queue ${ours.taskQueue}`,
    );
    await ours.start();
    say(`metrics ports (chosen free for this run): ${ours.portsLine()}`);
    if (opts.max) {
      const found = await searchMax(ours, opts, say, () => interrupted);
      search = found.trials;
      rate = found.rate;
      say(`search: sustainable max ≈ ${formatCount(rate)} events/s; measuring it for ${opts.durationS} s`);
    }
    await ours.runPhase({ name: 'main', rate, durationS: opts.durationS, warmupS: opts.warmupS });
    const halfS = Math.max(10, Math.round(opts.durationS / 2));
    await ours.runPhase({
      name: 'half',
      rate: rate / 2,
      durationS: halfS,
      warmupS: Math.min(opts.warmupS, halfS / 4),
    });
    say('reading the processed topic: exactly-once check and latencies');
    exactlyOnce = await ours.verify();
    for (const p of ours.phases.filter((x) => x.name === 'main' || x.name === 'half'))
      p.temporal = await ours.temporalCost(p);
  } finally {
    await ours.stop(opts.keep);
  }
  const profiles = opts.profile ? topFunctions(join(outDir, 'profiles'), 15) : undefined;

  let baselines: BenchResults['baselines'];
  if (opts.baselines && !interrupted)
    baselines = await runBaselines(ep, opts, { runId, logDirectory, say, sampleMs });

  const main = ours.phases.find((p) => p.name === 'main')!;
  const half = ours.phases.find((p) => p.name === 'half')!;
  const plots = renderPlots(outDir, ours.phases, baselines);
  const results: BenchResults = {
    provenance: prov,
    options: opts,
    runId,
    outDir,
    phases: ours.phases.map(({ latencySorted: _omit, ...rest }) => rest),
    main: main.name,
    half: half.name,
    search,
    exactlyOnce,
    baselines,
    ratios: baselines
      ? {
          oursOverNaive: main.eventsPerMinute / baselines.naive.eventsPerMinute,
          oursOverCeiling: main.eventsPerMinute / baselines.ceiling.eventsPerMinute,
        }
      : undefined,
    avgEventBytes: avgEventBytes(opts.seed),
    plots,
    profiles,
    elapsedS: (Date.now() - started) / 1000,
  };
  const resultsFile = join(outDir, 'results.json');
  writeFileSync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
  printReport(results, say);
  say(`results: ${resultsFile}`);
  if (opts.writeCalibration) say(`calibration: ${writeCalibration(results)}`);
  return exactlyOnce.ok ? 0 : 1;
}

process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  say('\ninterrupted: finishing the current phase early and cleaning up (Ctrl-C again to force)');
});

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof OptionError ? err.message : err);
    process.exit(err instanceof OptionError ? 2 : 1);
  });
