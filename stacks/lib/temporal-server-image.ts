/**
 * The platform's Temporal server image (temporal-server/Dockerfile): upstream's image at the pinned
 * server version with temporal-server replaced by the platform's build (its authorization, decision
 * 0114). Its tag is derived from the server version and the source, so synth and the image job in
 * .github/workflows/infra.yml (`npm run --silent temporal:image-tag`) name the same image without a
 * setting to keep in step.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPORAL_SERVER_REPOSITORY = 'ghcr.io/sensor-pipeline/temporal-server';

/** The Go source of the platform's server. */
export const TEMPORAL_SERVER_SOURCE = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'temporal-server',
);

/** A short hash of what the image builds from: the Go files, go.mod, go.sum and the Dockerfile. */
export function temporalServerSourceHash(dir = TEMPORAL_SERVER_SOURCE): string {
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).sort())
    if (/\.go$|^go\.(mod|sum)$|^Dockerfile$/.test(f)) hash.update(f).update(readFileSync(join(dir, f)));
  return hash.digest('hex').slice(0, 12);
}

/** `<server version>-<source hash>`, e.g. 1.31.2-7e4e69dcea8f. */
export function temporalServerImage(serverVersion: string): { repository: string; tag: string } {
  return { repository: TEMPORAL_SERVER_REPOSITORY, tag: `${serverVersion}-${temporalServerSourceHash()}` };
}
