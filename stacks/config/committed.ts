/**
 * The committed environments as built from their files, the committed deployed record and the
 * committed calibration, with no override: the reference the structure check compares a loaded
 * configuration with (validate.ts), and what tests and local tools read. Built on first use, once.
 */
import { readCalibration } from '../capacity/calibration.js';
import { readDeployedRecord } from './deployed.js';
import { buildEnvironment } from './environment.js';
import { ENVIRONMENT_SPECS } from './specs.js';
import { ENVIRONMENT_NAMES, type EnvironmentConfig, type EnvironmentName } from './types.js';

let built: Readonly<Record<EnvironmentName, EnvironmentConfig>> | undefined;

export function committedEnvironments(): Readonly<Record<EnvironmentName, EnvironmentConfig>> {
  if (!built) {
    const deployed = readDeployedRecord();
    const { measured } = readCalibration();
    built = Object.fromEntries(
      ENVIRONMENT_NAMES.map((name) => [name, buildEnvironment(ENVIRONMENT_SPECS[name], deployed, measured)]),
    ) as Record<EnvironmentName, EnvironmentConfig>;
  }
  return built;
}

export function committedEnvironment(name: EnvironmentName): EnvironmentConfig {
  return committedEnvironments()[name];
}
