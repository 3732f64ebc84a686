/**
 * The KEDA ScaledObject of one of our Deployments: replica bounds, polling, a scale-down window as
 * long as the cooldown, and the service's own trigger (Kafka lag for the bridge, the Temporal task
 * queue's backlog for the worker).
 */
import type { ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { kubeManifest } from '../lib/kube-manifest.js';

export interface ScaledObjectSpec {
  readonly name: string;
  readonly namespace: string;
  readonly deploymentName: string;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly pollingIntervalSeconds: number;
  readonly cooldownSeconds: number;
  /** One entry of `spec.triggers` (type, metadata, authenticationRef). */
  readonly trigger: Record<string, unknown>;
}

export function kedaScaledObject(
  scope: Construct,
  s: ScaledObjectSpec,
  dependsOn: readonly ITerraformDependable[],
): void {
  kubeManifest(
    scope,
    'scaled-object',
    {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: s.name, namespace: s.namespace },
      spec: {
        scaleTargetRef: { name: s.deploymentName },
        minReplicaCount: s.minReplicas,
        maxReplicaCount: s.maxReplicas,
        pollingInterval: s.pollingIntervalSeconds,
        cooldownPeriod: s.cooldownSeconds,
        advanced: {
          horizontalPodAutoscalerConfig: {
            behavior: { scaleDown: { stabilizationWindowSeconds: s.cooldownSeconds } },
          },
        },
        triggers: [s.trigger],
      },
    },
    dependsOn,
  );
}
