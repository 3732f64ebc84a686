/**
 * The environment's name, namespaces, kubeconfig, Terraform backend and operators layer (validate.ts).
 */
import { ENVIRONMENT_NAMES, type EnvironmentConfig } from '../types.js';
import { platformCaIssuers } from '../../lib/certificate-approval.js';
import { DNS_LABEL, type Checker } from './checker.js';

/** A Kubernetes object name (RFC 1123 subdomain). */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An IPv4 or IPv6 CIDR (address/prefix). */
const CIDR =
  /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(?:3[0-2]|[12]?\d)|[0-9a-fA-F:]*:[0-9a-fA-F:.]*\/(?:12[0-8]|1[01]\d|[1-9]?\d))$/;

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

  const cidrs = config.kubernetes.apiServerCidrs;
  if (cidrs !== undefined) {
    const list: unknown[] = Array.isArray(cidrs) ? cidrs : [];
    const bad = list.filter((cidr) => typeof cidr !== 'string' || !CIDR.test(cidr));
    c.rule(
      list.length > 0 && bad.length === 0,
      `'kubernetes.apiServerCidrs' (${JSON.stringify(cidrs)}) must be a non-empty list of CIDRs such as 10.0.0.1/32` +
        (bad.length > 0 ? `: ${bad.map((b) => JSON.stringify(b)).join(', ')} is not one` : ''),
    );
  }

  const adopt = config.operators.adoptExistingCrds;
  c.rule(
    typeof adopt === 'boolean',
    `'operators.adoptExistingCrds' (${JSON.stringify(adopt)}) must be true or false`,
  );
  const issuers: unknown = config.operators.autoApprovedClusterIssuers;
  const issuerList: unknown[] = Array.isArray(issuers) ? issuers : [];
  const badIssuers = issuerList.filter((i) => typeof i !== 'string' || !DNS_SUBDOMAIN.test(i));
  c.rule(
    Array.isArray(issuers) && badIssuers.length === 0,
    `'operators.autoApprovedClusterIssuers' (${JSON.stringify(issuers)}) must be a list of ClusterIssuer names (DNS subdomains such as letsencrypt-prod)`,
  );
  c.rule(
    !issuerList.includes(platformCaIssuers().ca),
    `'operators.autoApprovedClusterIssuers' (${JSON.stringify(issuers)}) must not name the platform CA (${platformCaIssuers().ca}): approver-policy decides its requests`,
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
