import { HelmProvider } from '@cdktf/provider-helm/lib/provider/index.js';
import { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider/index.js';
import { GcsBackend, LocalBackend, S3Backend, type TerraformStack } from 'cdktf';
import type { EnvironmentConfig } from './config/types.js';

/** Version constraint of the terraform kubernetes provider. */
export const KUBERNETES_PROVIDER_CONSTRAINT = '~> 3.0';

/**
 * Backend and providers of one layer stack. State is one file/key per stack, so layers plan and
 * apply independently.
 */
export function setupStack(
  stack: TerraformStack,
  config: EnvironmentConfig,
  stackName: string,
  helm: boolean,
): void {
  const b = config.backend;
  switch (b.type) {
    case 'local':
      new LocalBackend(stack, { path: `${b.dir}/${stackName}.tfstate` });
      break;
    case 's3':
      new S3Backend(stack, {
        bucket: b.bucket,
        key: `${b.keyPrefix}/${stackName}.tfstate`,
        region: b.region,
        encrypt: true,
      });
      // Native S3 locking (Terraform >= 1.10); cdktf 0.21's typed props predate it.
      stack.addOverride('terraform.backend.s3.use_lockfile', true);
      break;
    case 'gcs':
      new GcsBackend(stack, { bucket: b.bucket, prefix: `${b.prefix}/${stackName}` });
      break;
  }
  // The bindings were generated for kubernetes 2.38; the provider applied for real is the 3.x branch
  // (only `_v1` core resources, which is all these stacks use).
  stack.addOverride('terraform.required_providers.kubernetes.version', KUBERNETES_PROVIDER_CONSTRAINT);
  const kube = { configPath: config.kubernetes.configPath, configContext: config.kubernetes.context };
  new KubernetesProvider(stack, 'kubernetes', kube);
  if (helm) new HelmProvider(stack, 'helm', { kubernetes: kube });
}
