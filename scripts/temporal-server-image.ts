/**
 * `npm run --silent temporal:image`: the platform's Temporal server images the environments deploy,
 * one line per server version: `<version> <repository>:<tag>` (stacks/lib/temporal-server-image.ts).
 * The image job of .github/workflows/infra.yml builds and pushes each before any apply.
 */
import { loadEnvironment } from '../stacks/config/load.js';
import { ENVIRONMENT_SPECS } from '../stacks/config/specs.js';
import type { EnvironmentName } from '../stacks/config/types.js';
import { temporalServerImage } from '../stacks/lib/temporal-server-image.js';

const versions = new Set(
  (Object.keys(ENVIRONMENT_SPECS) as EnvironmentName[]).map((env) => loadEnvironment(env).temporal.version),
);
for (const version of [...versions].sort()) {
  const { repository, tag } = temporalServerImage(version);
  process.stdout.write(`${version} ${repository}:${tag}\n`);
}
