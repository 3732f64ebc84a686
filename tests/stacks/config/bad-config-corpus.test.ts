/**
 * A corpus of invalid environments. Each case is an override of a committed environment, loaded the
 * way synth loads it (loadEnvironment with context overrides, against the committed deployed record),
 * and the message fragment it must fail with; every message names the field's path. The last test
 * runs `cdktf synth` itself with a bad PLATFORM_OVERRIDES.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { loadEnvironment, readDeployedRecord } from '../../../stacks/config/load.js';
import type { EnvironmentConfig, EnvironmentName } from '../../../stacks/config/types.js';
import { ConfigError, validateConfig } from '../../../stacks/config/validate.js';
import { committedEnvironment } from '../../../stacks/config/committed.js';

const dev = committedEnvironment('dev');

const DEPLOYED = readDeployedRecord();
const deployedShards = DEPLOYED.shards.prod!;
const deployedPartitions = DEPLOYED.partitions.prod!.sensorData!;

interface Case {
  readonly name: string;
  readonly env: EnvironmentName;
  /** The path the message must name. */
  readonly path: string;
  /** JSON deep-merged over the environment, as `PLATFORM_OVERRIDES` or context `overrides` would be. */
  readonly override?: unknown;
  /** For what JSON cannot say (a deleted key): a change to a copy of the environment, validated directly. */
  readonly mutate?: (config: Record<string, any>) => void; // eslint-disable-line @typescript-eslint/no-explicit-any
  readonly expected: RegExp;
}

/** `{'a.b': v}` as a nested override. */
function set(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

/** A case that sets one field to one value. */
function field(env: EnvironmentName, path: string, value: unknown, expected: RegExp, name?: string): Case {
  return {
    name: name ?? `${path} = ${JSON.stringify(value)}`,
    env,
    path,
    override: set(path, value),
    expected,
  };
}

const CASES: readonly Case[] = [
  // Wrong types
  field(
    'dev',
    'kafka.brokers.replicas',
    '3',
    /'kafka\.brokers\.replicas' \("3"\) must be an integer between 1 and 100/,
  ),
  field('staging', 'kafka.cruiseControl', 'yes', /'kafka\.cruiseControl' \("yes"\) must be true or false/),
  field(
    'prod',
    'operators.adoptExistingCrds',
    'yes',
    /'operators\.adoptExistingCrds' \("yes"\) must be true or false/,
  ),
  field(
    'prod',
    'operators.autoApprovedClusterIssuers',
    ['Lets Encrypt'],
    /'operators\.autoApprovedClusterIssuers' \(\["Lets Encrypt"\]\) must be a list of ClusterIssuer names/,
  ),
  field(
    'staging',
    'operators.autoApprovedClusterIssuers',
    ['sensor-platform-ca'],
    /'operators\.autoApprovedClusterIssuers' \(\["sensor-platform-ca"\]\) must not name the platform CA \(sensor-platform-ca\): approver-policy decides its requests/,
  ),
  field(
    'prod',
    'operators.adoptExistingCrd',
    true,
    /'operators\.adoptExistingCrd' is not a known field \(did you mean 'adoptExistingCrds'\?\)/,
  ),
  field('dev', 'pipeline.image.tag', 123, /'pipeline\.image\.tag' \(123\) must be an OCI image tag/),
  field(
    'prod',
    'observability.dlqRateAlert',
    '5',
    /'observability\.dlqRateAlert' \("5"\) must be a number > 0/,
  ),
  field('dev', 'kafka', 'big', /'kafka' \("big"\) must be an object with clusterName, brokers/),
  field(
    'dev',
    'temporal.replicas',
    [1, 1, 1, 1],
    /'temporal\.replicas' \(\[1,1,1,1\]\) must be an object with frontend/,
  ),

  // Negative or zero
  field(
    'dev',
    'pipeline.worker.maxReplicas',
    0,
    /'pipeline\.worker\.maxReplicas' \(0\) must be an integer between 1 and 1000/,
  ),
  field(
    'staging',
    'temporal.replicas.frontend',
    -1,
    /'temporal\.replicas\.frontend' \(-1\) must be an integer between 1 and 100/,
  ),
  field(
    'prod',
    'temporal.resources.history.memory',
    '8g',
    /'temporal\.resources\.history\.memory' \("8g"\) must be a Kubernetes quantity of bytes > 0 such as 100Gi or 512Mi/,
  ),
  field(
    'staging',
    'temporal.resources.matching.cpu',
    '2Gi',
    /'temporal\.resources\.matching\.cpu' \("2Gi"\) must be a Kubernetes quantity of cores > 0 such as 500m or 2/,
  ),
  field(
    'prod',
    'pipeline.eventWindow.ledgerRetentionHours',
    168,
    /'pipeline\.eventWindow\.ledgerRetentionHours' \(168\) must be >= 'pipeline\.eventWindow\.maxEventAgeHours' \(168\) \+ 65 minutes/,
    'a ledger window no longer than the event age limit',
  ),
  field(
    'prod',
    'pipeline.eventWindow.auditRetentionHours',
    24,
    /'pipeline\.eventWindow\.auditRetentionHours' \(24\) must be >= 'pipeline\.eventWindow\.ledgerRetentionHours' \(192\): an event the ledger still holds is traced through its batch record/,
    'batch records kept shorter than the ledger',
  ),
  field(
    'dev',
    'postgres.pooler.defaultPoolSize',
    0,
    /'postgres\.pooler\.defaultPoolSize' \(0\) must be an integer between 1 and 1000/,
  ),
  field(
    'prod',
    'kafka.topics.sensorData.retentionHours',
    -24,
    /'kafka\.topics\.sensorData\.retentionHours' \(-24\) must be an integer between 1 and 8760/,
  ),
  field(
    'dev',
    'observability.scheduleToStartAlertSeconds',
    0,
    /'observability\.scheduleToStartAlertSeconds' \(0\) must be a number > 0/,
  ),

  // Out of range
  field(
    'prod',
    'kafka.replicationFactor',
    7,
    /'kafka\.replicationFactor' \(7\) must be an integer between 1 and 5/,
  ),
  field(
    'staging',
    'postgres.instances',
    10,
    /'postgres\.instances' \(10\) must be an integer between 1 and 9/,
  ),
  field(
    'dev',
    'temporal.numHistoryShards',
    32_768,
    /'temporal\.numHistoryShards' \(32768\) must be a power of two between 1 and 16384/,
  ),
  field(
    'dev',
    'kafka.topics.alerts.partitions',
    20_000,
    /'kafka\.topics\.alerts\.partitions' \(20000\) must be an integer between 1 and 10000/,
  ),
  field(
    'dev',
    'temporal.retentionDays',
    4000,
    /'temporal\.retentionDays' \(4000\) must be an integer between 1 and 3650/,
  ),

  // Not an integer
  field(
    'dev',
    'pipeline.bridge.minReplicas',
    1.5,
    /'pipeline\.bridge\.minReplicas' \(1\.5\) must be an integer/,
  ),
  field(
    'prod',
    'postgres.maxConnections',
    450.5,
    /'postgres\.maxConnections' \(450\.5\) must be an integer between 30 and 10000/,
  ),
  field(
    'staging',
    'temporal.maxConns',
    2.5,
    /'temporal\.maxConns' \(2\.5\) must be an integer between 1 and 1000/,
  ),

  // Unknown keys: a typo must fail, not be ignored
  field(
    'prod',
    'pipeline.bridge.maxReplica',
    96,
    /'pipeline\.bridge\.maxReplica' is not a known field \(did you mean 'maxReplicas'\?\)/,
  ),
  field(
    'dev',
    'observabilty',
    { dlqRateAlert: 2 },
    /'observabilty' is not a known field \(did you mean 'observability'\?\)/,
  ),
  field(
    'staging',
    'postgres.pooler.maxClientConnections',
    900,
    /'postgres\.pooler\.maxClientConnections' is not a known field: expected one of instances, defaultPoolSize, maxClientConn/,
  ),
  field(
    'dev',
    'kafka.topics.sensorData.partitons',
    12,
    /'kafka\.topics\.sensorData\.partitons' is not a known field \(did you mean 'partitions'\?\)/,
  ),
  field(
    'dev',
    'kafka.topics.sensorDta',
    { partitions: 1, retentionHours: 1 },
    /'kafka\.topics\.sensorDta' is not a topic of workers\/shared\/topics\.ts/,
  ),
  field(
    'prod',
    'temporal.replicas.histroy',
    16,
    /'temporal\.replicas\.histroy' is not a known field \(did you mean 'history'\?\)/,
  ),

  // Missing required fields
  field(
    'dev',
    'pipeline.worker.databasePoolSize',
    null,
    /'pipeline\.worker\.databasePoolSize' \(null\) is required/,
  ),
  field('prod', 'kafka.brokers', null, /'kafka\.brokers' \(null\) is required/),
  {
    name: 'postgres.appDatabase deleted',
    env: 'staging',
    path: 'postgres.appDatabase',
    mutate: (c) => delete c.postgres.appDatabase,
    expected: /'postgres\.appDatabase' \(undefined\) is required/,
  },
  field(
    'dev',
    'kafka.topics.parking',
    null,
    /'kafka\.topics\.parking' \(null\) must be set: every topic of workers\/shared\/topics\.ts needs a configuration/,
  ),
  field('staging', 'backend.bucket', null, /'backend\.bucket' \(null\) must be an S3 bucket name/),

  field('dev', 'backend.dir', null, /'backend\.dir' \(null\) must be a non-empty folder name/),

  // Cross-field rules
  field(
    'dev',
    'pipeline.bridge.maxReplicas',
    1000,
    /'pipeline\.bridge\.maxReplicas' \(1000\) must be <= 'kafka\.topics\.sensorData\.partitions' \(\d+\): consumers beyond the partition count idle/,
  ),
  field(
    'staging',
    'pipeline.worker.minReplicas',
    1000,
    /'pipeline\.worker\.minReplicas' \(1000\) must be <= 'pipeline\.worker\.maxReplicas' \(\d+\)/,
  ),
  field(
    'prod',
    'temporal.numHistoryShards',
    deployedShards * 2,
    new RegExp(
      `'temporal\\.numHistoryShards' \\(${deployedShards * 2}\\) must equal the deployed value \\(${deployedShards}\\) recorded in stacks/config/deployed-shards\\.json`,
    ),
  ),
  {
    name: 'sensor-data partitions below the deployed count',
    env: 'prod',
    path: 'kafka.topics.sensorData.partitions',
    override: {
      kafka: { topics: { sensorData: { partitions: deployedPartitions - 1 } } },
      pipeline: { bridge: { minReplicas: 1, maxReplicas: 1 } },
    },
    expected: new RegExp(
      `'kafka\\.topics\\.sensorData\\.partitions' \\(${deployedPartitions - 1}\\) must be >= the deployed count \\(${deployedPartitions}\\)`,
    ),
  },
  field(
    'dev',
    'kafka.metadataVersion',
    '4.4-IV0',
    /'kafka\.metadataVersion' \(4\.4-IV0\) must not be above 'kafka\.version' \(4\.3\.1\)/,
  ),
  {
    name: 'Kafka version and metadata version raised in one step',
    env: 'prod',
    path: 'kafka.metadataVersion',
    override: { kafka: { version: '4.4.0', metadataVersion: '4.4-IV0' } },
    expected:
      /'kafka\.metadataVersion' \(4\.4-IV0\) must not be above the running Kafka \(4\.3\.1, recorded in stacks\/config\/deployed-kafka\.json\)/,
  },
  field(
    'staging',
    'kafka.version',
    '4.3',
    /'kafka\.version' \("4\.3"\) must be a Kafka release such as "4\.3\.1"/,
  ),
  field(
    'prod',
    'kafka.brokers.storageSize',
    '10Gi',
    /'kafka\.brokers\.storageSize' \(10Gi\) is too small: \d+ partitions x RF 3 \/ \d+ brokers = \d+ active 1 GiB segments per broker/,
  ),
  field(
    'dev',
    'postgres.walStorageSize',
    '1Gi',
    /'postgres\.walStorageSize' \(1Gi\) is too small: it must be >= 2Gi/,
  ),
  field(
    'staging',
    'kafka.topics.deadLetter.retentionHours',
    12,
    /'kafka\.topics\.deadLetter\.retentionHours' \(12\) must be >= 'kafka\.topics\.sensorData\.retentionHours' \(24\)/,
  ),
  field(
    'staging',
    'kafka.minInsyncReplicas',
    3,
    /'kafka\.minInsyncReplicas' \(3\) must be < 'kafka\.replicationFactor' \(3\) outside dev/,
  ),
  field(
    'dev',
    'kafka.replicationFactor',
    2,
    /'kafka\.replicationFactor' \(2\) must be <= 'kafka\.brokers\.replicas' \(1\)/,
  ),
  field(
    'prod',
    'postgres.pooler.defaultPoolSize',
    900,
    /'postgres\.pooler\.defaultPoolSize' \(900\) x 'postgres\.pooler\.instances' \(\d+\) x 3 databases = \d+ server connections must be <= 'postgres\.maxConnections'/,
  ),
  field('prod', 'name', 'dev', /'name' \("dev"\) must be "prod": an override cannot rename an environment/),
  field('prod', 'backend.type', 'local', /'backend\.type' \("local"\) is only allowed for dev/),
  field('staging', 'kafka.controllers.replicas', 4, /'kafka\.controllers\.replicas' \(4\) must be odd/),

  // Names (RFC 1123 labels)
  field(
    'dev',
    'namespaces.pipeline',
    'Sensor_Pipeline',
    /'namespaces\.pipeline' \("Sensor_Pipeline"\) must be a DNS label/,
  ),
  field(
    'dev',
    'kafka.clusterName',
    'k'.repeat(64),
    /'kafka\.clusterName' \("k{64}"\) must be a DNS label/,
    'kafka.clusterName of 64 characters',
  ),
  field(
    'staging',
    'pipeline.worker.deploymentName',
    '-worker',
    /'pipeline\.worker\.deploymentName' \("-worker"\) must be a DNS label/,
  ),
  field(
    'prod',
    'postgres.clusterName',
    'pg.main',
    /'postgres\.clusterName' \("pg\.main"\) must be a DNS label/,
  ),

  // Resource quantities
  field(
    'dev',
    'pipeline.bridge.cpu',
    '2 cores',
    /'pipeline\.bridge\.cpu' \("2 cores"\) must be a Kubernetes quantity of cores > 0 such as 500m or 2/,
  ),
  field(
    'dev',
    'pipeline.worker.memory',
    '512m',
    /'pipeline\.worker\.memory' \("512m"\) must be a Kubernetes quantity of bytes > 0 .*m means milli/,
  ),
  field(
    'prod',
    'kafka.brokers.cpu',
    '4Gi',
    /'kafka\.brokers\.cpu' \("4Gi"\) must be a Kubernetes quantity of cores/,
  ),
  field(
    'staging',
    'postgres.storageSize',
    '0',
    /'postgres\.storageSize' \("0"\) must be a Kubernetes quantity of bytes > 0/,
  ),
  field(
    'dev',
    'kafka.controllers.storageSize',
    '10GB',
    /'kafka\.controllers\.storageSize' \("10GB"\) must be a Kubernetes quantity of bytes/,
  ),

  // Image references
  field(
    'dev',
    'pipeline.image.repository',
    'ghcr.io/Sensor/Workers',
    /'pipeline\.image\.repository' \("ghcr\.io\/Sensor\/Workers"\) must be an image repository/,
  ),
  field(
    'prod',
    'pipeline.image.repository',
    'ghcr.io/sensor-pipeline/workers:1.0',
    /'pipeline\.image\.repository' \(".*:1\.0"\) must be an image repository .*without :tag or @digest/,
  ),
  field(
    'prod',
    'pipeline.image.repository',
    'https://ghcr.io/sensor-pipeline/workers',
    /'pipeline\.image\.repository' \("https:.*"\) must be an image repository/,
  ),
  field(
    'staging',
    'pipeline.image.tag',
    'v1@sha256',
    /'pipeline\.image\.tag' \("v1@sha256"\) must be an OCI image tag/,
  ),

  // Empty strings
  field('dev', 'kubernetes.configPath', '', /'kubernetes\.configPath' \(""\) must be a non-empty string/),
  field(
    'staging',
    'postgres.synchronousStandbys',
    0,
    /'postgres\.synchronousStandbys' \(0\) must be >= 1 outside dev/,
  ),
  field(
    'staging',
    'postgres.synchronousStandbys',
    3,
    /'postgres\.synchronousStandbys' \(3\) must be below 'postgres\.instances' \(3\)/,
  ),
  field(
    'prod',
    'kubernetes.apiServerCidrs',
    ['10.0.0.1'],
    /'kubernetes\.apiServerCidrs' \(\["10\.0\.0\.1"\]\) must be a non-empty list of CIDRs such as 10\.0\.0\.1\/32: "10\.0\.0\.1" is not one/,
  ),
  field(
    'prod',
    'kubernetes.apiServerCidrs',
    [],
    /'kubernetes\.apiServerCidrs' \(\[\]\) must be a non-empty list of CIDRs/,
  ),
  field('dev', 'pipeline.image.tag', '', /'pipeline\.image\.tag' \(""\) must be an OCI image tag/),
  field('staging', 'backend.keyPrefix', '', /'backend\.keyPrefix' \(""\) must be a non-empty string/),
  field('dev', 'kafka.rackTopologyKey', '', /'kafka\.rackTopologyKey' \(""\) must be a node label key/),
  field('prod', 'pipeline.worker.buildId', '', /'pipeline\.worker\.buildId' \(""\) must be a build ID/),
];

/** Runs one case through the loader (overrides) or the validator (mutations); returns the message. */
function failureOf(c: Case): string {
  try {
    if (c.mutate) {
      const base = { dev, staging: loadEnvironment('staging'), prod: loadEnvironment('prod') }[c.env];
      const copy = structuredClone(base) as unknown as Record<string, unknown>;
      c.mutate(copy);
      validateConfig(copy as unknown as EnvironmentConfig, DEPLOYED);
    } else {
      loadEnvironment(c.env, { contextOverrides: { [c.env]: c.override }, deployed: DEPLOYED });
    }
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail(`${c.env} with ${c.name} was accepted`);
}

void test('the corpus has at least 30 cases, each with a distinct name', () => {
  assert.ok(CASES.length >= 30, `${CASES.length} cases`);
  assert.equal(new Set(CASES.map((c) => `${c.env}: ${c.name}`)).size, CASES.length);
});

void test('each committed environment loads unchanged (the corpus mutates valid input)', () => {
  for (const env of ['dev', 'staging', 'prod'] as const) {
    assert.doesNotThrow(() => loadEnvironment(env, { deployed: DEPLOYED }));
  }
});

for (const c of CASES) {
  void test(`bad ${c.env} config: ${c.name}`, () => {
    const message = failureOf(c);
    assert.ok(message.includes(`'${c.path}'`), `the message does not name '${c.path}':\n${message}`);
    assert.match(message, c.expected);
  });
}

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');

void test('cdktf synth with a bad override exits non-zero naming the field', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bad-synth-'));
  try {
    const env = {
      ...process.env,
      ENVIRONMENTS: 'prod',
      PLATFORM_OVERRIDES: JSON.stringify({ prod: { pipeline: { bridge: { maxReplica: 5 } } } }),
      CHECKPOINT_DISABLE: '1',
    };
    const result = await run('npx', ['cdktf', 'synth', '--output', out], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    }).then(
      () => ({ code: 0, output: '' }),
      (err: { code: number; stdout: string; stderr: string }) => ({
        code: err.code,
        output: err.stdout + err.stderr,
      }),
    );
    assert.notEqual(result.code, 0, 'synth succeeded with a typo in the overrides');
    assert.match(
      result.output,
      /synth refused: [\s\S]*'pipeline\.bridge\.maxReplica' is not a known field \(did you mean 'maxReplicas'\?\)/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

void test('npm run synth:dev prints no terraform noise, even with TF_CLI_CONFIG_FILE naming a missing file', async () => {
  const out = mkdtempSync(join(tmpdir(), 'quiet-synth-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: join(out, 'missing.tfrc') };
    delete env.CHECKPOINT_DISABLE;
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'synth:dev', '--', '--output', out], {
      cwd: ROOT,
      env,
      timeout: 120_000,
    });
    const output = stdout + stderr;
    assert.match(output, /synthesized 4 stacks/);
    assert.doesNotMatch(output, /Unable to open CLI configuration file|ERROR|ENOTFOUND/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
