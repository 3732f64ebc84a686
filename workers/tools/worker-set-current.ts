/**
 * `npm run worker:set-current [-- --wait-ms N]` makes this release's worker version
 * (WORKER_DEPLOYMENT_NAME, WORKER_BUILD_ID) its Worker Deployment's current version, once its workers
 * poll. Run by the worker chart's post-install/post-upgrade hook (docs/decisions/0012-worker-versioning.md),
 * never by the worker itself: promotion is the rollout's decision, after the new pods are up.
 */
import { parseArgs } from 'node:util';
import { loadWorkerConfig } from '../config.js';
import { connectTemporal } from '../lib/temporal-client.js';
import { deploymentVersion, setCurrentVersion } from '../worker/versioning.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { 'wait-ms': { type: 'string', default: '300000' } } });
  const waitMs = Number(values['wait-ms']);
  if (!Number.isInteger(waitMs) || waitMs < 0) {
    console.error(`--wait-ms ${values['wait-ms']}: expected a whole number of milliseconds >= 0`);
    return 2;
  }
  const config = loadWorkerConfig();
  const version = deploymentVersion(config);
  if (!version) {
    console.error('WORKER_DEPLOYMENT_NAME and WORKER_BUILD_ID are unset: the worker runs unversioned');
    return 2;
  }
  const { client, connection } = await connectTemporal(config.temporal);
  try {
    const { previousBuildId } = await setCurrentVersion(client, version, { waitMs });
    console.log(
      `${version.deploymentName}: current build ${version.buildId} (was ${previousBuildId ?? 'unversioned'})`,
    );
  } finally {
    await connection.close();
  }
  return 0;
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
