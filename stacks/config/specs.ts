/** The committed environment files, by name: plain data (EnvironmentSpec), sized by load.ts. */
import { dev } from './dev.js';
import type { EnvironmentSpec } from './environment.js';
import { prod } from './prod.js';
import { staging } from './staging.js';
import type { EnvironmentName } from './types.js';

export const ENVIRONMENT_SPECS: Readonly<Record<EnvironmentName, EnvironmentSpec>> = { dev, staging, prod };
