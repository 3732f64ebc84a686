/**
 * The only reader of process.env and cdktf context. Everything downstream receives typed, validated
 * configuration.
 *
 * Environment variables:
 * - `ENVIRONMENTS`: comma-separated subset of dev,staging,prod to synthesize (context key `environments`).
 * - `PLATFORM_OVERRIDES`: JSON object keyed by environment, deep-merged over the data files
 *   (context key `overrides`), e.g. `{"dev":{"pipeline":{"image":{"tag":"sha-1234"}}}}`.
 * - `PLATFORM_KUBECONFIG`: kubeconfig path for every environment (CI runners).
 * Where synth writes and where it reads the operators' CRDs are paths.ts's: it reads its variables
 * without loading (and so sizing) the environments.
 */
import { readDeployedRecord } from './deployed.js';
import { dev } from './dev.js';
import { prod } from './prod.js';
import { staging } from './staging.js';
import {
  ENVIRONMENT_NAMES,
  type DeployedRecord,
  type EnvironmentConfig,
  type EnvironmentName,
} from './types.js';
import { ConfigError, validateConfig } from './validate.js';

export { readDeployedRecord };

const ENVIRONMENTS: Readonly<Record<EnvironmentName, EnvironmentConfig>> = { dev, staging, prod };

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
}

/** Loads, overrides and validates one environment. @throws ConfigError */
export function loadEnvironment(name: EnvironmentName, options: LoadOptions = {}): EnvironmentConfig {
  const base = ENVIRONMENTS[name];
  if (!base)
    throw new ConfigError(name, [
      `'environment' (${JSON.stringify(name)}) must be one of ${ENVIRONMENT_NAMES.join(', ')}`,
    ]);
  const fromContext = parseOverrides('context.overrides', options.contextOverrides)[name];
  const fromEnv = parseOverrides('PLATFORM_OVERRIDES', process.env.PLATFORM_OVERRIDES)[name];
  let merged = deepMerge(deepMerge(base, fromContext), fromEnv);
  const kubeconfig = process.env.PLATFORM_KUBECONFIG;
  if (kubeconfig) merged = deepMerge(merged, { kubernetes: { configPath: kubeconfig } });
  // The name selects the per-environment rules: an override must not move prod under dev's.
  if (merged.name !== name) {
    throw new ConfigError(name, [
      `'name' (${JSON.stringify(merged.name)}) must be ${JSON.stringify(name)}: an override cannot rename an environment`,
    ]);
  }
  return validateConfig(merged, options.deployed ?? readDeployedRecord());
}
