/**
 * The workers' workflow code, bundled by webpack. A process that bundles its own code keeps what
 * webpack allocated: a worker that bundled at start idled at about 306 MiB of RSS and peaked at 402
 * while bundling, of a 512 MiB limit (docs/reliability.md, "Worker memory"). So the image bundles at
 * build time (Dockerfile, `workers/worker/bundle-workflows.ts`) and the worker loads that file
 * (WORKFLOW_BUNDLE_PATH); without one it bundles in process, as the tests' in-process workers do.
 */
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowBundleOption } from '@temporalio/worker/lib/worker-options.js';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

let inProcess: Promise<WorkflowBundleWithSourceMap> | undefined;

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};

/** Bundles workflow code in this process: once for the pipeline's workflows, which workers share. */
export function workflowBundle(workflowsPath?: string): Promise<WorkflowBundleWithSourceMap> {
  if (workflowsPath) return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  inProcess ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows/index.ts'),
    logger: quietBundlerLogger,
  });
  return inProcess;
}

/**
 * What a worker runs: the prebuilt bundle at `bundlePath` when given (its source map beside it, if
 * written), else the workflows at `workflowsPath` (or the pipeline's) bundled here.
 */
export async function workerWorkflowCode(
  bundlePath: string | undefined,
  workflowsPath?: string,
): Promise<WorkflowBundleOption> {
  if (bundlePath && !workflowsPath) return { codePath: bundlePath };
  return workflowBundle(workflowsPath);
}
