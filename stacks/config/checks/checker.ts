/**
 * What every section check of validate.ts shares: the patterns of Kubernetes, OCI and Postgres names
 * and quantities, and the Checker that collects one message per problem, each naming its field path,
 * its value and what was expected.
 */
import { parseQuantity } from '../../lib/quantity.js';

/** Cores: whole or decimal, or millicores. A byte suffix on a CPU field is a mix-up. */
const CPU = /^[0-9]+(\.[0-9]+)?m?$/;
/** Bytes with a decimal or binary suffix; `m` (milli) is refused: `512m` of memory is half a byte. */
const BYTES = /^[0-9]+(\.[0-9]+)?(k|Ki|Mi|Gi|Ti|M|G|T)?$/;
/** RFC 1123 label: Kubernetes names of namespaces, services and most objects. */
export const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Label key (`prefix/name`), as used for `broker.rack` topology. */
export const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** OCI image repository: optional registry host[:port], then lowercase path components; no tag or digest. */
export const IMAGE_REPOSITORY =
  /^([A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?)*(:[0-9]+)?\/)?[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
export const PG_IDENT = /^[a-z_][a-z0-9_]*$/;
/** Six-field cron (seconds first), as CNPG ScheduledBackup expects. */
export const CRON6 = /^(\S+\s+){5}\S+$/;
export const DURATION = /^[0-9]+(ms|s|m|h|d|w|y)$/;

/** `<repository>:<tag>` and/or `@sha256:<digest>`. */
const IMAGE_REFERENCE = /^(.+?)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$/;

export class Checker {
  readonly issues: string[] = [];

  int(path: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): void {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be an integer between ${min} and ${max === Number.MAX_SAFE_INTEGER ? 'infinity' : max}`,
      );
    }
  }

  match(path: string, value: unknown, re: RegExp, expected: string): void {
    if (typeof value !== 'string' || !re.test(value)) {
      this.issues.push(`'${path}' (${JSON.stringify(value)}) must be ${expected}`);
    }
  }

  rule(ok: boolean, message: string): void {
    if (!ok) this.issues.push(message);
  }

  text(path: string, value: unknown, what: string): void {
    if (typeof value !== 'string' || value.trim() === '') {
      this.issues.push(`'${path}' (${JSON.stringify(value)}) must be a non-empty string (${what})`);
    }
  }

  cpu(path: string, value: unknown): void {
    const cores = parseQuantity(value);
    if (typeof value !== 'string' || !CPU.test(value) || cores === undefined || cores <= 0) {
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be a Kubernetes quantity of cores > 0 such as 500m or 2`,
      );
    }
  }

  /** An image pinned by tag (not `latest`) or digest: a moving reference would roll pods unseen. */
  pinnedImage(path: string, value: unknown, example: string): void {
    const m = typeof value === 'string' ? IMAGE_REFERENCE.exec(value) : null;
    const pinned =
      m !== null &&
      IMAGE_REPOSITORY.test(m[1]!) &&
      (m[3] !== undefined || (m[2] !== undefined && m[2] !== 'latest'));
    if (!pinned)
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be an image with a tag or digest, not :latest, such as ${example}: an unpinned image rolls the pods whenever its default moves`,
      );
  }

  bytes(path: string, value: unknown): void {
    const bytes = parseQuantity(value);
    if (typeof value !== 'string' || !BYTES.test(value) || bytes === undefined || bytes <= 0) {
      this.issues.push(
        `'${path}' (${JSON.stringify(value)}) must be a Kubernetes quantity of bytes > 0 such as 100Gi or 512Mi (m means milli, not mega)`,
      );
    }
  }
}
