/**
 * Validates an environment configuration before synth, every rule in one place: first its structure
 * (every field the committed environments have, by name), then one check per section
 * (stacks/config/checks/), each naming the field path, its value and what was expected. Reads no
 * environment: the deployed record comes in as an argument, and so does the structure's reference
 * (by default the committed environments, committed.ts); limits come from the capacity model's assumptions and
 * workers/config.ts's defaults.
 */
import { committedEnvironments } from './committed.js';
import type { EnvironmentSizing } from './environment.js';
import { shapeIssues, shapeOf } from './shape.js';
import { ENVIRONMENT_SPECS } from './specs.js';
import type { DeployedRecord, EnvironmentConfig } from './types.js';
import { Checker } from './checks/checker.js';
import { checkCluster } from './checks/cluster.js';
import { checkKafka } from './checks/kafka.js';
import { checkObservability } from './checks/observability.js';
import { checkPipeline } from './checks/pipeline.js';
import { checkPostgres } from './checks/postgres.js';
import { checkTemporal } from './checks/temporal.js';

/** Thrown when configuration is invalid; `issues` holds one message per problem, each naming its field path. */
export class ConfigError extends Error {
  constructor(
    readonly environment: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid configuration for environment '${environment}':\n  - ${issues.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * The schema of the structure check (stacks/config/shape.ts): the committed environments, plus keys
 * that only variants no committed file uses, or optional fields, carry.
 */
const OPTIONAL_KEYS = {
  kubernetes: { context: '', apiServerCidrs: '' },
  backend: { dir: '', bucket: '', region: '', keyPrefix: '', prefix: '' },
  postgres: {
    backup: {
      snapshotClassName: '',
      objectStoreName: '',
      destinationPath: '',
      endpointUrl: '',
      credentialsSecret: '',
      retentionPolicy: '',
      schedule: '',
    },
    restore: { objectStoreName: '', serverName: '', targetTime: '' },
  },
  temporal: {
    webAuth: { issuerUrl: '', clientId: '', clientSecret: { name: '', key: '' }, callbackUrl: '' },
  },
};

/**
 * Validates an environment against the rules and against what is recorded as deployed.
 * Reads no files or environment: the deployed record comes in as an argument (tests pass hand-made
 * ones); its limits come from the capacity model's assumptions and workers/config.ts's defaults.
 * @throws ConfigError listing every problem, each with its field path, value and what was expected.
 */
export function validateConfig(
  config: EnvironmentConfig,
  deployed: DeployedRecord,
  /** The environments whose fields make the structure check's schema. @default the committed ones */
  reference: readonly EnvironmentConfig[] = Object.values(committedEnvironments()),
): EnvironmentConfig {
  // The rules below read nested fields: a missing or misshapen object must stop here, by name.
  const schema = shapeOf(reference, OPTIONAL_KEYS);
  const structure = shapeIssues(
    config,
    schema,
    '',
    new Set(['kafka.topics', 'observability.alerting.receivers']),
  );
  if (structure.length > 0)
    throw new ConfigError(String((config as { name?: unknown } | null)?.name), structure);

  const c = new Checker();
  checkCluster(c, config);
  checkKafka(c, config, deployed);
  checkPostgres(c, config);
  checkTemporal(c, config, deployed);
  checkPipeline(c, config);
  checkObservability(c, config);
  if (c.issues.length > 0) throw new ConfigError(config.name, c.issues);
  return config;
}

let sizingSchema: ReturnType<typeof shapeOf> | undefined;

/**
 * Checks the structure of an environment's sizing inputs after an override (the `sizing` key of
 * PLATFORM_OVERRIDES): the capacity model reads every one of them.
 * @throws ConfigError naming each unknown or misshapen field as `sizing.<path>`
 */
export function validateSizing(environment: string, sizing: EnvironmentSizing): EnvironmentSizing {
  sizingSchema ??= shapeOf(Object.values(ENVIRONMENT_SPECS).map((s) => s.sizing));
  const issues = shapeIssues(sizing, sizingSchema, 'sizing');
  if (issues.length > 0) throw new ConfigError(environment, issues);
  return sizing;
}
