/**
 * `npm run size` and the environments agree: the CLI runs as a child process, as a person runs it, and
 * every field it sizes must equal the loaded (validated) environment's.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { synthAll } from '../../../stacks/app.js';
import { readCalibration } from '../../../stacks/capacity/calibration.js';
import { loadEnvironment } from '../../../stacks/config/load.js';
import type { EnvironmentName } from '../../../stacks/config/types.js';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');

interface SizeJson {
  environment: string;
  eventsPerMinute: number;
  headroom: number;
  designEventsPerMinute: number;
  fields: Record<string, number | string>;
  warnings: string[];
}

async function size(args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'size', '--', ...args], {
      cwd: ROOT,
      timeout: 60_000,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

function at(root: unknown, path: string): unknown {
  let v = root;
  for (const key of path.split('.')) v = (v as Record<string, unknown> | undefined)?.[key];
  return v;
}

/** The fields the brief requires the calculator to size, by config path. */
const REQUIRED = [
  'kafka.topics.sensorData.partitions',
  'pipeline.bridge.minReplicas',
  'pipeline.bridge.maxReplicas',
  'pipeline.worker.minReplicas',
  'pipeline.worker.maxReplicas',
  'temporal.numHistoryShards',
  'temporal.replicas.frontend',
  'temporal.replicas.history',
  'temporal.replicas.matching',
  'temporal.replicas.worker',
  'postgres.instances',
  'postgres.cpu',
  'postgres.memory',
  'postgres.storageSize',
  'kafka.brokers.replicas',
  'kafka.brokers.storageSize',
];

const CASES: readonly [EnvironmentName, number][] = [
  ['prod', 10_000_000],
  ['staging', 1_000_000],
  ['dev', 60_000],
];

for (const [env, rate] of CASES) {
  void test(`npm run size for ${env} at ${rate}/min agrees with the loaded ${env} config on every sized field`, async () => {
    const args = ['--events-per-minute', String(rate), '--json'];
    // prod is the default environment: its command is the one the docs quote.
    const { stdout, code } = await size(env === 'prod' ? args : [...args, '--env', env]);
    assert.equal(code, 0);
    const out = JSON.parse(stdout) as SizeJson;
    assert.equal(out.environment, env);
    assert.equal(out.designEventsPerMinute, rate * out.headroom);
    for (const path of REQUIRED) assert.ok(path in out.fields, `the calculator does not size ${path}`);
    const config = loadEnvironment(env);
    for (const [path, value] of Object.entries(out.fields)) {
      assert.deepEqual(at(config, path), value, `${env}: ${path}`);
    }
  });
}

interface Manifest {
  kind: string;
  metadata: { name: string };
  spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

void test('the synthesized prod manifests carry the figures npm run size prints', async () => {
  const { fields } = JSON.parse(
    (await size(['--events-per-minute', '10000000', '--json'])).stdout,
  ) as SizeJson;
  const out = mkdtempSync(join(tmpdir(), 'size-synth-'));
  try {
    synthAll(out, ['prod']);
    const stack = (name: string) =>
      JSON.parse(readFileSync(join(out, 'stacks', name, 'cdk.tf.json'), 'utf8')) as {
        resource: Record<string, Record<string, { manifest?: Manifest; values?: string[]; chart?: string }>>;
      };
    const manifests = ['platform-prod', 'pipeline-prod'].flatMap((n) =>
      Object.values(stack(n).resource.kubernetes_manifest ?? {}).map((r) => r.manifest!),
    );
    const find = (kind: string, name: string) => {
      const m = manifests.find((x) => x.kind === kind && x.metadata.name === name);
      assert.ok(m, `no ${kind} ${name} in the synthesized prod stacks`);
      return m.spec;
    };
    assert.equal(find('KafkaTopic', 'sensor-data').partitions, fields['kafka.topics.sensorData.partitions']);
    assert.equal(
      find('KafkaTopic', 'sensor-data-processed').partitions,
      fields['kafka.topics.processed.partitions'],
    );
    const broker = find('KafkaNodePool', 'broker');
    assert.equal(broker.replicas, fields['kafka.brokers.replicas']);
    assert.equal(broker.storage.volumes[0].size, fields['kafka.brokers.storageSize']);
    assert.equal(broker.resources.requests.cpu, fields['kafka.brokers.cpu']);
    for (const [name, svc] of [
      ['ingest-bridge', 'bridge'],
      ['sensor-worker', 'worker'],
    ] as const) {
      const so = find('ScaledObject', name);
      assert.equal(so.minReplicaCount, fields[`pipeline.${svc}.minReplicas`], name);
      assert.equal(so.maxReplicaCount, fields[`pipeline.${svc}.maxReplicas`], name);
    }
    const pg = find('Cluster', 'sensor-pg');
    assert.equal(pg.instances, fields['postgres.instances']);
    assert.equal(pg.storage.size, fields['postgres.storageSize']);
    assert.equal(pg.resources.requests.cpu, fields['postgres.cpu']);
    assert.equal(pg.resources.requests.memory, fields['postgres.memory']);
    assert.equal(pg.postgresql.parameters.max_connections, String(fields['postgres.maxConnections']));
    const temporal = Object.values(stack('platform-prod').resource.helm_release!).find(
      (r) => r.chart === 'temporal',
    );
    assert.ok(temporal?.values, 'no Temporal release');
    const server = (parseYaml(temporal.values[0]!) as { server: Record<string, any> }).server; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(server.config.persistence.numHistoryShards, fields['temporal.numHistoryShards']);
    for (const svc of ['frontend', 'history', 'matching', 'worker'] as const) {
      assert.equal(server[svc].replicaCount, fields[`temporal.replicas.${svc}`], svc);
      assert.deepEqual(
        server[svc].resources,
        {
          requests: {
            cpu: fields[`temporal.resources.${svc}.cpu`],
            memory: fields[`temporal.resources.${svc}.memory`],
          },
          limits: { memory: fields[`temporal.resources.${svc}.memory`] },
        },
        svc,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

void test('the text report shows each figure with its arithmetic and the calibration provenance', async () => {
  const { stdout, code } = await size(['--events-per-minute', '10000000']);
  assert.equal(code, 0);
  const json = JSON.parse((await size(['--events-per-minute', '10000000', '--json'])).stdout) as SizeJson;
  assert.ok(stdout.includes(readCalibration().provenance.command), 'provenance missing');
  assert.ok(stdout.includes(`history shards: ${json.fields['temporal.numHistoryShards']}`));
  assert.ok(stdout.includes(`max replicas: ${json.fields['pipeline.bridge.maxReplicas']}`));
  assert.match(stdout, /design rate = 10,000,000 x headroom 2 = 20,000,000 events\/min/);
  assert.match(stdout, /per broker = .* GiB \/ fill .* \/ \d+ brokers/);
});

void test('a different rate or headroom changes the figures the CLI prints', async () => {
  // A rate far above prod's, so that the bridge needs more than its replica floor whatever the
  // calibration (one bridge core carried 21 million events/min in the 2026-12-01 evening run).
  const base = JSON.parse(
    (await size(['--events-per-minute', '200000000', '--json', '--fresh'])).stdout,
  ) as SizeJson;
  const more = JSON.parse(
    (await size(['--events-per-minute', '200000000', '--headroom', '4', '--json', '--fresh'])).stdout,
  ) as SizeJson;
  assert.ok(
    (more.fields['pipeline.bridge.maxReplicas'] as number) >
      (base.fields['pipeline.bridge.maxReplicas'] as number),
  );
  assert.equal(more.fields['pipeline.bridge.minReplicas'], base.fields['pipeline.bridge.minReplicas']);
});

void test('bad arguments and a bad calibration exit 2 naming the flag or the field', async () => {
  const noRate = await size([]);
  assert.equal(noRate.code, 2);
  assert.match(noRate.stderr, /'--events-per-minute' is required/);
  const bad = await size(['--events-per-minute', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'--events-per-minute' \("lots"\) must be a number > 0/);
  const env = await size(['--events-per-minute', '1000', '--env', 'qa']);
  assert.match(env.stderr, /'--env' \("qa"\) must be one of dev, staging, prod/);

  const dir = mkdtempSync(join(tmpdir(), 'calibration-'));
  try {
    const file = join(dir, 'calibration.json');
    const c = readCalibration();
    const broken = {
      ...c,
      measured: { ...c.measured, cpuCoresAtMax: { ...c.measured.cpuCoresAtMax, worker: 0 } },
    };
    writeFileSync(file, JSON.stringify(broken));
    const r = await size(['--events-per-minute', '1000', '--calibration', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /'measured\.cpuCoresAtMax\.worker' \(0\) must be a number > 0/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
