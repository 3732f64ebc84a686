/** stacks/app.ts: synth of every environment, stack layout, and the contract with our charts. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { App, Testing } from 'cdktf';
import { LAYERS, synthAll } from '../../stacks/app.js';
import { OperatorsStack } from '../../stacks/operators.js';
import { PipelineStack } from '../../stacks/pipeline.js';
import { METRICS_PORTS } from '../../workers/shared/metrics.js';
import { TASK_QUEUE, TEMPORAL_NAMESPACE } from '../../workers/shared/temporal.js';
import type { TfJson } from './helpers.js';
import { committedEnvironment } from '../../stacks/config/committed.js';

const dev = committedEnvironment('dev');

const ENVS = ['dev', 'staging', 'prod'] as const;
let outdir: string;
let stacks: string[];

function stackJson(name: string): TfJson {
  return JSON.parse(readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as TfJson;
}

before(() => {
  outdir = mkdtempSync(join(tmpdir(), 'stacks-synth-'));
  stacks = synthAll(outdir);
});
after(() => rmSync(outdir, { recursive: true, force: true }));

void test('synth of all environments writes the four layers of each', () => {
  const expected = ENVS.flatMap((e) => LAYERS.map((l) => `${l}-${e}`));
  assert.deepEqual([...stacks].sort(), [...expected].sort());
  assert.deepEqual(readdirSync(join(outdir, 'stacks')).sort(), [...expected].sort());
});

void test('layers are ordered: platform after operators, pipeline and observability after platform', () => {
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { dependencies: string[] }>;
  };
  for (const e of ENVS) {
    assert.deepEqual(manifest.stacks[`platform-${e}`]!.dependencies, [`operators-${e}`]);
    assert.deepEqual(manifest.stacks[`pipeline-${e}`]!.dependencies, [`platform-${e}`]);
    assert.deepEqual(manifest.stacks[`observability-${e}`]!.dependencies, [`platform-${e}`]);
  }
});

void test('stacks share no Terraform state: no cross-stack outputs or remote state', () => {
  for (const name of stacks) {
    const json = stackJson(name);
    assert.equal(json.output, undefined, `${name} has outputs`);
    assert.equal((json.data as Record<string, unknown> | undefined)?.terraform_remote_state, undefined, name);
  }
});

void test('backends: local for dev, locked S3 for staging and prod; kubernetes provider 3.x', () => {
  const tf = (n: string) =>
    stackJson(n).terraform as {
      backend: Record<string, Record<string, unknown>>;
      required_providers: Record<string, { version: string }>;
    };
  assert.deepEqual(Object.keys(tf('platform-dev').backend), ['local']);
  const local = String(tf('platform-dev').backend.local!.path);
  assert.ok(local.endsWith('.terraform/state/platform-dev.tfstate'), local);
  assert.equal(
    join(outdir, 'stacks', 'platform-dev', local),
    join(import.meta.dirname, '../../.terraform/state/platform-dev.tfstate'),
  );
  for (const e of ['staging', 'prod']) {
    const s3 = tf(`platform-${e}`).backend.s3!;
    assert.equal(s3.key, `${e}/platform-${e}.tfstate`);
    assert.equal(s3.use_lockfile, true);
  }
  assert.equal(tf('pipeline-prod').required_providers.kubernetes!.version, '~> 3.0');
});

void test('only _v1 typed resources and kubernetes_manifest for Kubernetes objects', () => {
  for (const name of stacks) {
    for (const type of Object.keys(stackJson(name).resource ?? {})) {
      if (type.startsWith('kubernetes_'))
        assert.match(type, /^kubernetes_(manifest|[a-z_]+_v1)$/, `${name}: ${type}`);
    }
  }
});

void test('ENVIRONMENTS-style subset: only the named environments are synthesized', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stacks-synth-'));
  try {
    assert.deepEqual(synthAll(dir, ['staging']).sort(), LAYERS.map((l) => `${l}-staging`).sort());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function chartValues(env: string): Record<string, any> {
  const releases = stackJson(`pipeline-${env}`).resource!.helm_release!;
  return Object.fromEntries(
    Object.values(releases).map((r) => [r.name as string, parse((r.values as string[])[0]!)]),
  );
}

function schemaOf(chart: string) {
  const schema = JSON.parse(
    readFileSync(join(import.meta.dirname, '../../charts', chart, 'values.schema.json'), 'utf8'),
  ) as Record<string, unknown>;
  delete schema.$schema;
  return schema;
}

void test("the values the stacks pass to our charts satisfy each chart's values.schema.json", () => {
  const ajv = new Ajv({ allErrors: true, strict: false });
  for (const chart of ['ingest-bridge', 'sensor-worker']) {
    const chartDefaults = parse(
      readFileSync(join(import.meta.dirname, '../../charts', chart, 'values.yaml'), 'utf8'),
    ) as Record<string, unknown>;
    const validate = ajv.compile(schemaOf(chart));
    assert.ok(validate(chartDefaults), `${chart} defaults: ${ajv.errorsText(validate.errors)}`);
    for (const env of ENVS) {
      const values = chartValues(env)[chart];
      assert.ok(values, `${env}: no release of ${chart}`);
      // Helm validates the merge of defaults and the release's values; the release's keys alone must already be known keys.
      assert.ok(
        validate({
          ...chartDefaults,
          ...values,
          kafka: { ...(chartDefaults.kafka as object), ...values.kafka },
        }),
        `${env}/${chart}: ${ajv.errorsText(validate.errors)}`,
      );
    }
    assert.equal(validate({ ...chartDefaults, replicaCont: 2 }), false, 'a typo must be rejected');
  }
});

void test('chart defaults agree with workers/shared (ports, Temporal namespace, task queue)', () => {
  const read = (chart: string) =>
    parse(readFileSync(join(import.meta.dirname, '../../charts', chart, 'values.yaml'), 'utf8'));
  const bridge = read('ingest-bridge');
  const worker = read('sensor-worker');
  assert.equal(bridge.metrics.port, METRICS_PORTS.bridge);
  assert.equal(worker.metrics.port, METRICS_PORTS.worker);
  for (const v of [bridge, worker]) {
    assert.equal(v.temporal.namespace, TEMPORAL_NAMESPACE);
    assert.equal(v.temporal.taskQueue, TASK_QUEUE);
  }
});

void test('prod pipeline: bridge scales up to the partition count of sensor-data', () => {
  const platform = stackJson('platform-prod');
  const topic = Object.values(platform.resource!.kubernetes_manifest!)
    .map((r) => r.manifest as { kind: string; spec: { topicName: string; partitions: number } })
    .find((m) => m.kind === 'KafkaTopic' && m.spec.topicName === 'sensor-data');
  const so = Object.values(stackJson('pipeline-prod').resource!.kubernetes_manifest!)
    .map((r) => r.manifest as { kind: string; metadata: { name: string }; spec: { maxReplicaCount: number } })
    .find((m) => m.kind === 'ScaledObject' && m.metadata.name === 'ingest-bridge');
  assert.ok(topic && so);
  assert.ok(so.spec.maxReplicaCount <= topic.spec.partitions);
});

void test('staging and prod commit through a synchronous standby with durability required; dev may not', () => {
  const synchronous = (env: string) =>
    Object.values(stackJson(`platform-${env}`).resource!.kubernetes_manifest!)
      .map(
        (r) =>
          r.manifest as { kind: string; spec: { instances: number; postgresql: { synchronous?: unknown } } },
      )
      .find((m) => m.kind === 'Cluster')!.spec;
  for (const env of ['staging', 'prod']) {
    const spec = synchronous(env);
    assert.deepEqual(
      spec.postgresql.synchronous,
      { method: 'any', number: 1, dataDurability: 'required', failoverQuorum: true },
      env,
    );
    assert.ok(spec.instances >= 2, `${env}: a synchronous standby needs a second instance`);
  }
  assert.equal(synchronous('dev').postgresql.synchronous, undefined);
});

void test("pipeline layer refuses a platform without credentials for the worker's database role", () => {
  const app = new App();
  assert.throws(
    () =>
      new PipelineStack(app, 'pipeline-dev', {
        config: dev,
        kafka: {
          clusterName: 'k',
          namespace: 'kafka',
          bootstrapServers: 'b:9092',
          saslMechanism: 'scram-sha-512',
          tls: true,
          userNamespace: dev.namespaces.pipeline,
        },
        postgres: {
          clusterName: 'pg',
          namespace: 'postgres',
          poolerName: 'p',
          host: 'h',
          port: 5432,
          credentials: {},
          sslMode: 'verify-full',
        },
        temporal: {
          address: 't:7233',
          namespace: 'sensor-pipeline',
          releaseNamespace: 'temporal',
          tls: { serverName: 't', requireClientCertificate: true },
        },
        issuer: { kind: 'ClusterIssuer', name: 'ca' },
        chartPaths: { bridge: 'b', worker: 'w' },
        alertmanagerUrl: 'http://alertmanager.monitoring.svc:9093',
      }),
    /role "sensor_worker" has no credentials in the platform layer \(roles: \)/,
  );
});

void test('observability: PodMonitors for Kafka, the Strimzi operator, CNPG instances and PgBouncer', () => {
  for (const env of ENVS) {
    const monitors = Object.values(stackJson(`observability-${env}`).resource!.kubernetes_manifest!)
      .map((r) => r.manifest as { kind: string; metadata: { name: string; namespace: string } })
      .filter((m) => m.kind === 'PodMonitor')
      .map((m) => `${m.metadata.namespace}/${m.metadata.name}`)
      .sort();
    assert.deepEqual(monitors, [
      'kafka/sensor-kafka-resources',
      'operators/strimzi-cluster-operator',
      'postgres/sensor-pg-instances',
      'postgres/sensor-pg-pooler',
    ]);
  }
});

void test('no secret value in the synthesized configuration or in state: every Secret value is write-only and computed at apply', () => {
  const SECRET_KEYS = /password|token|key|uri/i;
  let checked = 0;
  for (const name of stacks) {
    const json = stackJson(name);
    const locals = (json as { locals?: Record<string, string> }).locals ?? {};
    for (const [address, secret] of Object.entries(json.resource?.kubernetes_secret_v1 ?? {})) {
      const { data = {}, data_wo: writeOnly = {} } = secret as {
        data?: Record<string, string>;
        data_wo?: Record<string, string>;
      };
      // A stored attribute ends up in state and in every plan file: no secret may be one.
      for (const key of Object.keys(data))
        assert.doesNotMatch(key, SECRET_KEYS, `${name}: ${address}.data.${key} would be kept in state`);
      for (const [key, value] of Object.entries(writeOnly)) {
        if (!SECRET_KEYS.test(key)) continue;
        checked += 1;
        // `${uuid()}`, or `${local.x}` whose value is: evaluated by Terraform once per apply.
        const refs = [...value.matchAll(/\$\{local\.([^}]+)\}/g)].map((m) => m[1]!);
        const computed = value === '${uuid()}' || refs.length > 0;
        assert.ok(computed, `${name}: ${address}.data_wo.${key} is not computed at apply: ${value}`);
        for (const ref of refs) assert.equal(locals[ref], '${uuid()}', `${name}: local.${ref}`);
      }
    }
    assert.ok(
      !('output' in json) || !JSON.stringify(json.output).match(/password/i),
      `${name}: an output names a password`,
    );
  }
  assert.ok(checked >= 6, `only ${checked} secret values checked`);
});

void test('a restore opens the Postgres instances egress to the object store, as backups do', () => {
  const policies = (config: typeof dev) => {
    const stack = new OperatorsStack(new App(), 'operators-dev', { config });
    const json = JSON.parse(Testing.synth(stack)) as TfJson;
    return Object.values(json.resource?.kubernetes_network_policy_v1 ?? {}).map(
      (r) => (r as { metadata: { name: string; namespace: string } }).metadata,
    );
  };
  const backupEgress = (config: typeof dev) =>
    policies(config).some((m) => m.name === 'allow-backup-upload' && m.namespace === dev.namespaces.postgres);
  assert.equal(backupEgress(dev), false, 'dev (no backups) keeps it closed');
  const restoring = {
    ...dev,
    postgres: { ...dev.postgres, restore: { objectStoreName: 'old', serverName: 'old-pg' } },
  };
  assert.equal(backupEgress(restoring), true);
});
