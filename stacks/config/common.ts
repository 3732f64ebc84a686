import type { NamespacesConfig } from './types.js';

/** Namespaces shared by every environment (each environment is its own cluster). */
export const NAMESPACES: NamespacesConfig = {
  operators: 'operators',
  monitoring: 'monitoring',
  kafka: 'kafka',
  postgres: 'postgres',
  temporal: 'temporal',
  pipeline: 'sensor-pipeline',
};

/** Image of the workers, built by .github/workflows/infra.yml from the repository Dockerfile. */
export const WORKERS_IMAGE = 'ghcr.io/sensor-pipeline/workers';
