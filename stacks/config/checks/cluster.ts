/**
 * The environment's name, namespaces, kubeconfig, Terraform backend and operators layer (validate.ts).
 */
import { ENVIRONMENT_NAMES, type EnvironmentConfig } from '../types.js';
import { DNS_LABEL, type Checker } from './checker.js';

export function checkCluster(c: Checker, config: EnvironmentConfig): void {
  const env = config.name;
  c.rule(
    (ENVIRONMENT_NAMES as readonly string[]).includes(env),
    `'name' (${JSON.stringify(env)}) must be one of ${ENVIRONMENT_NAMES.join(', ')}`,
  );

  for (const [key, ns] of Object.entries(config.namespaces)) {
    c.match(`namespaces.${key}`, ns, DNS_LABEL, 'a DNS label (lowercase letters, digits and -)');
  }
  c.text('kubernetes.configPath', config.kubernetes.configPath, 'a kubeconfig path');
  if (config.kubernetes.context !== undefined) {
    c.text('kubernetes.context', config.kubernetes.context, 'a kubeconfig context name');
  }

  const adopt = config.operators.adoptExistingCrds;
  c.rule(
    typeof adopt === 'boolean',
    `'operators.adoptExistingCrds' (${JSON.stringify(adopt)}) must be true or false`,
  );

  const b = config.backend;
  switch (b.type) {
    case 'local':
      c.rule(
        typeof b.dir === 'string' && b.dir.length > 0,
        `'backend.dir' (${JSON.stringify(b.dir)}) must be a non-empty folder name`,
      );
      break;
    case 's3':
      c.match('backend.bucket', b.bucket, /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name');
      c.match('backend.region', b.region, /^[a-z]{2}-[a-z]+-[0-9]$/, 'an AWS region such as eu-west-1');
      c.text('backend.keyPrefix', b.keyPrefix, 'the state key prefix');
      break;
    case 'gcs':
      c.match('backend.bucket', b.bucket, /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, 'a GCS bucket name');
      c.text('backend.prefix', b.prefix, 'the state object prefix');
      break;
    default:
      c.rule(
        false,
        `'backend.type' (${JSON.stringify((b as { type: unknown }).type)}) must be one of local, s3, gcs`,
      );
  }
  c.rule(
    env === 'dev' || b.type !== 'local',
    `'backend.type' ("local") is only allowed for dev: ${env} state must be shared and locked (s3 or gcs)`,
  );
}
