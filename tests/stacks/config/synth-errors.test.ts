/**
 * `cdktf synth`'s entry point turns every configuration, calibration and sizing mistake into a
 * message naming the field, without a stack trace: the environments are sized inside loadEnvironment
 * (called within main.ts's `try`), never when their modules load. One case per kind of error.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../../local/lib/paths.js';
import { CALIBRATION_FILE } from '../../../stacks/capacity/calibration.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'synth-errors-'));

after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs stacks/main.ts for dev with extra environment; returns its exit code and output. */
async function synth(env: Record<string, string>): Promise<{ code: number; output: string }> {
  return run(process.execPath, ['--import', 'tsx', join(repoRoot, 'stacks', 'main.ts')], {
    cwd: repoRoot,
    env: { ...process.env, ENVIRONMENTS: 'dev', CDKTF_OUTDIR: join(dir, 'out'), ...env },
    timeout: 120_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      output: err.stdout + err.stderr,
    }),
  );
}

function refused(result: { code: number; output: string }, field: RegExp): void {
  assert.equal(result.code, 1, result.output);
  assert.match(result.output, /synth refused: /);
  assert.match(result.output, field);
  assert.doesNotMatch(result.output, /^\s+at /m, 'a stack trace buries the message');
}

void test('a configuration error names the field', async () => {
  refused(
    await synth({
      PLATFORM_OVERRIDES: JSON.stringify({ dev: { pipeline: { bridge: { maxReplicas: 999 } } } }),
    }),
    /'pipeline\.bridge\.maxReplicas' \(999\) must be <= 'kafka\.topics\.sensorData\.partitions'/,
  );
});

void test('a misspelled sizing input names the field under sizing', async () => {
  refused(
    await synth({ PLATFORM_OVERRIDES: JSON.stringify({ dev: { sizing: { eventsPerMinut: 1 } } }) }),
    /'sizing\.eventsPerMinut' is not a known field \(did you mean 'eventsPerMinute'\?\)/,
  );
});

void test('a sizing error names the input', async () => {
  refused(
    await synth({ PLATFORM_OVERRIDES: JSON.stringify({ dev: { sizing: { headroom: 0.5 } } }) }),
    /'headroom' \(0\.5\) must be a number >= 1/,
  );
});

void test('a calibration error names the file and the figure', async () => {
  const calibration = JSON.parse(readFileSync(CALIBRATION_FILE, 'utf8')) as {
    measured: Record<string, unknown>;
  };
  calibration.measured.eventsPerMinute = -5;
  const file = join(dir, 'calibration.json');
  writeFileSync(file, JSON.stringify(calibration));
  refused(
    await synth({ PLATFORM_CALIBRATION: file }),
    /invalid calibration .*calibration\.json[\s\S]*measured\.eventsPerMinute/,
  );
});

void test('control: a sizing override within the model synthesizes with the sized figures', async () => {
  const result = await synth({
    PLATFORM_OVERRIDES: JSON.stringify({ dev: { sizing: { eventsPerMinute: 6_000_000 } } }),
  });
  assert.equal(result.code, 0, result.output);
  const platform = JSON.parse(
    readFileSync(join(dir, 'out', 'stacks', 'platform-dev', 'cdk.tf.json'), 'utf8'),
  ) as {
    resource: {
      kubernetes_manifest: Record<
        string,
        { manifest: { kind: string; metadata: { name: string }; spec: { replicas?: number } } }
      >;
    };
  };
  const brokers = Object.values(platform.resource.kubernetes_manifest)
    .map((r) => r.manifest)
    .find((m) => m.kind === 'KafkaNodePool' && m.metadata.name === 'broker');
  // A hundred times dev's rate: the model sizes dev's one broker to dozens (disk for the retention).
  assert.ok((brokers?.spec.replicas ?? 0) > 10, `brokers ${brokers?.spec.replicas}`);
});
