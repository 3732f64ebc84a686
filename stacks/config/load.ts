/**
 * The only reader of process.env and cdktf context, and the one pass from an environment file to its
 * configuration: read the deployed record once, merge the `sizing` overrides into the environment's
 * sizing inputs, size (the capacity model), merge the other overrides over the result, validate once.
 * Nothing runs at import. Everything downstream receives typed, validated configuration.
 *
 * Environment variables:
 * - `ENVIRONMENTS`: comma-separated subset of dev,staging,prod to synthesize (context key `environments`).
 * - `PLATFORM_OVERRIDES`: JSON object keyed by environment, deep-merged over the data files
 *   (context key `overrides`), e.g. `{"dev":{"pipeline":{"image":{"tag":"sha-1234"}}}}`; its `sizing`
 *   key goes into the capacity model's inputs, e.g. `{"prod":{"sizing":{"eventsPerMinute":5000000}}}`.
 * - `PLATFORM_KUBECONFIG`: kubeconfig path for every environment (CI runners).
 * - `PLATFORM_CALIBRATION`: the calibration file the capacity model reads (default
 *   stacks/capacity/calibration.json, as `npm run size -- --calibration` takes one).
 * Where synth writes and where it reads the operators' CRDs are paths.ts's.
 */
import { CALIBRATION_FILE, readCalibration, type CalibrationMeasurement } from '../capacity/calibration.js';
import { readDeployedRecord } from './deployed.js';
import { buildEnvironment, type EnvironmentSizing } from './environment.js';
import { ENVIRONMENT_SPECS } from './specs.js';
import {
  ENVIRONMENT_NAMES,
  type DeployedRecord,
  type EnvironmentConfig,
  type EnvironmentName,
} from './types.js';
import { ConfigError, validateConfig, validateSizing } from './validate.js';

export { readDeployedRecord };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge for plain objects; arrays and scalars from `override` replace. Returns new objects only. */
export function deepMerge<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override))
    return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = deepMerge(out[key], value);
  return out as T;
}

function parseList(source: string, value: unknown): EnvironmentName[] {
  const list = Array.isArray(value) ? value : String(value).split(',');
  const names = list.map((s) => String(s).trim()).filter(Boolean);
  for (const n of names) {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(n)) {
      throw new ConfigError(n, [
        `'${source}' (${JSON.stringify(n)}) must be one of ${ENVIRONMENT_NAMES.join(', ')}`,
      ]);
    }
  }
  return names as EnvironmentName[];
}

/**
 * Which environments to synthesize: the `ENVIRONMENTS` variable wins over the context key
 * `environments`; neither means all.
 */
export function selectEnvironments(contextValue?: unknown): EnvironmentName[] {
  const fromEnv = process.env.ENVIRONMENTS;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return parseList('ENVIRONMENTS', fromEnv);
  if (contextValue !== undefined && contextValue !== null && contextValue !== '') {
    return parseList('context.environments', contextValue);
  }
  return [...ENVIRONMENT_NAMES];
}

function parseOverrides(source: string, raw: unknown): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new ConfigError('*', [
        `'${source}' must be a JSON object keyed by environment: ${(err as Error).message}`,
      ]);
    }
  }
  if (!isPlainObject(value)) {
    throw new ConfigError('*', [
      `'${source}' (${JSON.stringify(value)}) must be a JSON object keyed by environment`,
    ]);
  }
  return value;
}

export interface LoadOptions {
  /** Context key `overrides`: deep-merged over the data file, before `PLATFORM_OVERRIDES`. */
  readonly contextOverrides?: unknown;
  /** Replaces the committed deployed record (tests). */
  readonly deployed?: DeployedRecord;
  /** Replaces the calibration file's figures (tests). */
  readonly calibration?: CalibrationMeasurement;
}

/**
 * Loads one environment in one pass: sizing inputs and their overrides, the capacity model, the
 * other overrides, then every rule once.
 * @throws ConfigError, CalibrationError or SizingError, each naming the field
 */
export function loadEnvironment(name: EnvironmentName, options: LoadOptions = {}): EnvironmentConfig {
  const spec = ENVIRONMENT_SPECS[name];
  if (!spec)
    throw new ConfigError(name, [
      `'environment' (${JSON.stringify(name)}) must be one of ${ENVIRONMENT_NAMES.join(', ')}`,
    ]);
  const fromContext = parseOverrides('context.overrides', options.contextOverrides)[name];
  const fromEnv = parseOverrides('PLATFORM_OVERRIDES', process.env.PLATFORM_OVERRIDES)[name];
  const overrides = deepMerge<Record<string, unknown>>(
    deepMerge<Record<string, unknown>>({}, fromContext),
    fromEnv,
  );
  const { sizing: sizingOverride, ...configOverride } = isPlainObject(overrides) ? overrides : {};
  const sizing = validateSizing(name, deepMerge<EnvironmentSizing>(spec.sizing, sizingOverride));
  const deployed = options.deployed ?? readDeployedRecord();
  const calibration =
    options.calibration ?? readCalibration(process.env.PLATFORM_CALIBRATION || CALIBRATION_FILE).measured;
  const built = buildEnvironment({ ...spec, sizing }, deployed, calibration);
  let merged = deepMerge(built, configOverride);
  const kubeconfig = process.env.PLATFORM_KUBECONFIG;
  if (kubeconfig) merged = deepMerge(merged, { kubernetes: { configPath: kubeconfig } });
  // The name selects the per-environment rules: an override must not move prod under dev's.
  if (merged.name !== name) {
    throw new ConfigError(name, [
      `'name' (${JSON.stringify(merged.name)}) must be ${JSON.stringify(name)}: an override cannot rename an environment`,
    ]);
  }
  // The structure check compares with every committed environment, sized from the same record.
  const reference = ENVIRONMENT_NAMES.map((n) =>
    n === name ? built : buildEnvironment(ENVIRONMENT_SPECS[n], deployed, calibration),
  );
  return validateConfig(merged, deployed, reference);
}
