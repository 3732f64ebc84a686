/**
 * Smoke test of the benchmark harness: `npm run bench -- --quick` on the real local stack must print
 * every figure, write them all as finite numbers to results.json, pass its exactly-once check and
 * render valid PNG plots. No timing assertions: the machine may be busy; the figures only have to exist.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../local/lib/paths.js';
import { leftoversAfter, markedRun } from '../../local/testing/leftovers.js';
import { CALIBRATION_FILE } from '../../bench/calibration.js';
import type { BenchResults } from '../../bench/bench-results.js';
import type { RoleUsage } from '../../bench/proc-stats.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function assertFinite(value: unknown, what: string): void {
  assert.ok(
    typeof value === 'number' && Number.isFinite(value),
    `${what} = ${String(value)} is not a finite number`,
  );
}

function assertUsage(usage: Record<string, RoleUsage>, role: string, where: string): void {
  const u = usage[role];
  assert.ok(u, `${where}: no CPU/RSS figures for ${role} (have ${Object.keys(usage).join(', ')})`);
  for (const key of ['avgCores', 'peakCores', 'avgRssMiB', 'peakRssMiB', 'peakPssMiB'] as const)
    assertFinite(u[key], `${where}.${role}.${key}`);
  assert.ok(u.peakRssMiB > 0, `${where}.${role}: a live process has resident memory`);
}

/** Width and height from the IHDR chunk, after checking the signature. */
function pngSize(file: string): { width: number; height: number } {
  const bytes = readFileSync(file);
  assert.deepEqual(bytes.subarray(0, 8), PNG_SIGNATURE, `${file} is not a PNG`);
  assert.equal(bytes.subarray(12, 16).toString('latin1'), 'IHDR', `${file}: first chunk is not IHDR`);
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function runQuick(outDir: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', '--quick', '--out', outDir], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

test(
  'npm run bench -- --quick reports every figure, passes exactly-once and renders the plots',
  { timeout: 480_000 },
  async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'bench-quick-'));
    const calibrationBefore = existsSync(CALIBRATION_FILE) ? statSync(CALIBRATION_FILE).mtimeMs : undefined;
    try {
      const run = markedRun();
      const { code, stdout } = await runQuick(outDir, run.env);
      assert.equal(code, 0, `bench exited with ${code}:\n${stdout.slice(-4000)}`);
      // Everything the bench started (simulators, bridge, workers, baselines) ended with it.
      const left = await leftoversAfter(run.mark);
      assert.deepEqual(left, [], `the bench left processes behind: ${JSON.stringify(left)}`);

      // The report: one line per figure, and the verdict.
      for (const line of [
        /phase main: input 300 events\/s/,
        /phase half: input 150 events\/s/,
        /throughput\s+[\d,]+ events\/min/,
        /lag bounded\s+(yes|NO)/,
        /latency ms\s+p50 [\d,]+, p95 [\d,]+, p99 [\d,]+/,
        /temporal\s+[\d,]+ batch \+ [\d,]+ alert workflows; [\d.]+ workflows and [\d.]+ history events per 1,000 events/,
        /baseline naive \(one workflow per event\): [\d,]+ events\/min/,
        /baseline ceiling \(kafkajs pass-through\): [\d,]+ records\/min/,
        /ratios: ours\/naive [\d.]+x, ours\/ceiling [\d.]+/,
        /exactly-once check: OK/,
      ])
        assert.match(stdout, line);
      assert.match(
        stdout,
        /\[\s*\d+s main run\] produced [\d,]+\/s \| processed [\d,]+\/s \| lag [\d,]+/,
        'live progress lines',
      );
      assert.doesNotMatch(stdout, /calibration:/, '--quick never writes the calibration');

      const results = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as BenchResults;
      assert.equal(results.exactlyOnce.ok, true, JSON.stringify(results.exactlyOnce.checks));
      assert.ok(results.exactlyOnce.checks.length >= 4);
      for (const name of [results.main, results.half]) {
        const p = results.phases.find((x) => x.name === name);
        assert.ok(p, `phase ${name} in results.json`);
        for (const key of ['eventsPerMinute', 'processedPerS', 'producedPerS', 'machineBusyCores'] as const)
          assertFinite(p[key], `${name}.${key}`);
        assert.ok(p.eventsPerMinute > 0, `${name}: some events were processed`);
        assert.equal(typeof p.verdict.bounded, 'boolean');
        assertFinite(p.verdict.lagEndSeconds, `${name}.verdict.lagEndSeconds`);
        for (const key of ['p50', 'p95', 'p99', 'max'] as const)
          assertFinite(p.latencyMs?.[key], `${name}.latencyMs.${key}`);
        assert.ok(p.latencyMs!.count > 0);
        for (const key of [
          'workflowsPer1000Events',
          'historyEventsPer1000Events',
          'avgBatchHistoryLength',
          'avgEventsPerBatch',
        ] as const)
          assertFinite(p.temporal?.[key], `${name}.temporal.${key}`);
        for (const role of ['kafka', 'temporal', 'postgres', 'bridge', 'worker-0', 'simulator-0'])
          assertUsage(p.usage, role, name);
        assert.ok(p.samples.length >= 3, `${name}: time series for the plots`);
      }
      assert.ok(results.baselines, 'baselines ran');
      for (const b of [results.baselines.naive, results.baselines.ceiling]) {
        assertFinite(b.eventsPerMinute, `${b.name}.eventsPerMinute`);
        assert.ok(b.eventsPerMinute > 0, `${b.name} processed something`);
        assertUsage(b.usage, 'kafka', b.name);
      }
      assertUsage(results.baselines.naive.usage, 'naive-worker', 'naive');
      assertUsage(results.baselines.ceiling.usage, 'passthrough', 'ceiling');
      assertFinite(results.ratios?.oursOverNaive, 'ratios.oursOverNaive');
      assertFinite(results.ratios?.oursOverCeiling, 'ratios.oursOverCeiling');
      assertFinite(results.avgEventBytes, 'avgEventBytes');

      assert.equal(results.plots.length, 2);
      for (const file of results.plots) {
        const { width, height } = pngSize(file);
        assert.ok(width >= 500 && height >= 200, `${file}: ${width}x${height}`);
      }
      const after = existsSync(CALIBRATION_FILE) ? statSync(CALIBRATION_FILE).mtimeMs : undefined;
      assert.equal(after, calibrationBefore, 'calibration.json untouched by --quick');
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  },
);
