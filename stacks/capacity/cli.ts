/**
 * `npm run size -- --events-per-minute N [--headroom H] [--env prod|staging|dev] [--fresh] [--json]
 * [--calibration FILE]`: sizes an environment from the calibration and prints every figure with its
 * arithmetic. The environment (default prod) supplies pod shapes, topology, retention and what is
 * deployed; `--fresh` ignores the deployed record (a new cluster). Warnings (a shard migration, a
 * Postgres primary beyond one node) are printed; exit 2 only for bad arguments or calibration.
 */
import { parseArgs } from 'node:util';
import { readDeployedRecord } from '../config/deployed.js';
import { sizingInputs } from '../config/environment.js';
import { ENVIRONMENT_SPECS } from '../config/specs.js';
import { ENVIRONMENT_NAMES, type EnvironmentName } from '../config/types.js';
import { CALIBRATION_FILE, CalibrationError, isProvisional, readCalibration } from './calibration.js';
import {
  sizedFields,
  sizeEnvironment,
  SizingError,
  type Sized,
  type Sizing,
  type SizingInputs,
} from './model.js';

class UsageError extends Error {}

function positiveNumber(flag: string, raw: string | undefined, fallback?: number): number {
  if (raw === undefined) {
    if (fallback === undefined) throw new UsageError(`'--${flag}' is required (a number > 0)`);
    return fallback;
  }
  const v = Number(raw.replaceAll('_', '').replaceAll(',', ''));
  if (!Number.isFinite(v) || v <= 0)
    throw new UsageError(`'--${flag}' (${JSON.stringify(raw)}) must be a number > 0`);
  return v;
}

function parse(argv: readonly string[]) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      'events-per-minute': { type: 'string' },
      headroom: { type: 'string' },
      env: { type: 'string', default: 'prod' },
      fresh: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      calibration: { type: 'string', default: CALIBRATION_FILE },
    },
    strict: true,
  });
  const env = values.env;
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(env)) {
    throw new UsageError(`'--env' (${JSON.stringify(env)}) must be one of ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  const base = sizingInputs(ENVIRONMENT_SPECS[env as EnvironmentName], readDeployedRecord());
  const inputs: SizingInputs = {
    ...base,
    eventsPerMinute: positiveNumber('events-per-minute', values['events-per-minute']),
    headroom: positiveNumber('headroom', values.headroom, base.headroom),
    ...(values.fresh ? { deployed: {} } : {}),
  };
  return { inputs, json: values.json, calibrationFile: values.calibration };
}

function section(title: string, rows: readonly [string, Sized<number | string>][]): string {
  const lines = [title];
  for (const [name, s] of rows) {
    lines.push(`  ${name}: ${s.value}`);
    for (const step of s.steps) lines.push(`      ${step}`);
  }
  return lines.join('\n');
}

function report(s: Sizing, provenance: string): string {
  const i = s.inputs;
  return [
    `Sizing ${i.environment} for ${i.eventsPerMinute.toLocaleString('en-US')} events/min, headroom ${i.headroom} ` +
      `(design rate ${s.designEventsPerMinute.toLocaleString('en-US')} events/min)`,
    `Calibration: ${provenance}`,
    section('Kafka', [
      ['sensor-data and sensor-data-processed partitions', s.partitions],
      ['brokers', s.kafka.brokers],
      ['storage per broker', s.kafka.storageSize],
    ]),
    section('Ingest bridge', [
      ['min replicas', s.bridge.minReplicas],
      ['max replicas', s.bridge.maxReplicas],
      ['memory per pod', s.bridge.memory],
    ]),
    section('Worker', [
      ['min replicas', s.worker.minReplicas],
      ['max replicas', s.worker.maxReplicas],
      ['memory per pod', s.worker.memory],
    ]),
    section('Temporal', [
      ['history shards', s.temporal.numHistoryShards],
      ['frontend replicas', s.temporal.frontend],
      ['history replicas', s.temporal.history],
      ['matching replicas', s.temporal.matching],
      ['worker replicas', s.temporal.worker],
      ['memory per frontend, history or matching pod', s.temporal.podMemory],
    ]),
    section('Postgres', [
      ['instances', s.postgres.instances],
      ['cpu', s.postgres.cpu],
      ['memory', s.postgres.memory],
      ['storage per instance', s.postgres.storageSize],
      ['WAL storage per instance', s.postgres.walStorageSize],
      ['PgBouncer pods', s.postgres.poolerInstances],
      ['max_connections', s.postgres.maxConnections],
    ]),
    s.warnings.length > 0 ? `Warnings:\n${s.warnings.map((w) => `  - ${w}`).join('\n')}` : 'Warnings: none',
  ].join('\n\n');
}

function main(): number {
  let parsed: ReturnType<typeof parse>;
  let sizing: Sizing;
  let provenance: string;
  let provisional: boolean;
  try {
    parsed = parse(process.argv.slice(2));
    const calibration = readCalibration(parsed.calibrationFile);
    provisional = isProvisional(calibration);
    const p = calibration.provenance;
    provenance = `${p.command} (${p.date}, ${p.machine.cores} cores ${p.machine.cpu}, commit ${p.gitCommit}, Kafka ${p.versions.kafka}, Temporal ${p.versions.temporal})`;
    sizing = sizeEnvironment(parsed.inputs, calibration.measured);
  } catch (err) {
    if (err instanceof UsageError || err instanceof CalibrationError || err instanceof SizingError) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  const warnings = provisional
    ? [
        ...sizing.warnings,
        'the calibration is provisional: re-run `npm run bench -- --max` before trusting these figures',
      ]
    : sizing.warnings;
  if (parsed.json) {
    console.log(
      JSON.stringify(
        {
          environment: parsed.inputs.environment,
          eventsPerMinute: parsed.inputs.eventsPerMinute,
          headroom: parsed.inputs.headroom,
          designEventsPerMinute: sizing.designEventsPerMinute,
          calibration: provenance,
          perCore: sizing.perCore,
          fields: sizedFields(sizing),
          warnings,
        },
        null,
        2,
      ),
    );
  } else {
    console.log(report({ ...sizing, warnings }, provenance));
  }
  // Warnings are the operator's to act on (docs/capacity.md); the figures themselves are complete.
  return 0;
}

process.exitCode = main();
