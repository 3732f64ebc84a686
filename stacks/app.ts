import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'cdktf';
import { loadEnvironment, selectEnvironments } from './config/load.js';
import type { EnvironmentName } from './config/types.js';
import { ObservabilityStack } from './observability.js';
import { OperatorsStack } from './operators.js';
import { PipelineStack } from './pipeline.js';
import { PlatformStack } from './platform.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The four layer stacks of one environment, in apply order. */
export const LAYERS = ['operators', 'platform', 'pipeline', 'observability'] as const;

export function stackName(layer: (typeof LAYERS)[number], env: EnvironmentName): string {
  return `${layer}-${env}`;
}

/** A path as Terraform sees it from a stack's synth folder (`<outdir>/stacks/<name>`, all at one depth). */
function fromStackDir(outdir: string, target: string): string {
  return path.relative(path.join(path.resolve(outdir), 'stacks', 'any'), target);
}

/**
 * Builds every stack of the given environments into an App.
 * @param environments subset to build; `undefined` asks stacks/config (ENVIRONMENTS or context).
 */
export function buildApp(
  outdir: string,
  environments?: readonly string[],
  context: Record<string, unknown> = {},
): App {
  const app = new App({ outdir, context, skipValidation: false });
  const selected = selectEnvironments(environments ?? app.node.tryGetContext('environments'));
  const contextOverrides: unknown = app.node.tryGetContext('overrides');
  for (const env of selected) {
    const loaded = loadEnvironment(env, { contextOverrides });
    // Terraform runs in <outdir>/stacks/<stack>: a local state folder is given relative to that.
    const config =
      loaded.backend.type === 'local'
        ? {
            ...loaded,
            backend: {
              ...loaded.backend,
              dir: fromStackDir(outdir, path.join(REPO_ROOT, loaded.backend.dir)),
            },
          }
        : loaded;
    const operators = new OperatorsStack(app, stackName('operators', env), { config });
    const platform = new PlatformStack(app, stackName('platform', env), {
      config,
      certManagerNamespace: operators.certManagerNamespace,
      certificateApproval: operators.certificateApproval,
    });
    platform.addDependency(operators);
    const pipelineName = stackName('pipeline', env);
    const pipeline = new PipelineStack(app, pipelineName, {
      config,
      kafka: platform.kafka,
      postgres: platform.postgres,
      temporal: platform.temporal,
      issuer: platform.issuer,
      chartPaths: {
        bridge: fromStackDir(outdir, path.join(REPO_ROOT, 'charts', 'ingest-bridge')),
        worker: fromStackDir(outdir, path.join(REPO_ROOT, 'charts', 'sensor-worker')),
      },
      alertmanagerUrl: operators.discovery.alertmanagerUrl,
    });
    pipeline.addDependency(platform);
    const observability = new ObservabilityStack(app, stackName('observability', env), {
      config,
      discovery: operators.discovery,
      kafka: platform.kafka,
      postgres: platform.postgres,
    });
    observability.addDependency(platform);
  }
  return app;
}

/**
 * Synthesizes the stacks of the given environments (default: all, or as selected by ENVIRONMENTS /
 * context `environments`) into `outdir`. Returns the stack names.
 */
export function synthAll(outdir: string, environments?: readonly string[]): string[] {
  const app = buildApp(outdir, environments);
  app.synth();
  return app.node.children.map((c) => c.node.id);
}
