/**
 * TLS material is read once, at start (the SDK's and kafkajs's connections take PEM bytes, not
 * files). cert-manager renews certificates into the same Secret and the kubelet rewrites the mounted
 * files, so a process watches them and, when one changes, shuts down cleanly (SIGTERM's path) to be
 * restarted by its Deployment with the new material. A random delay spreads the restarts of a
 * Deployment's pods, which see the new files within the same minute.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface TlsReloadSettings {
  /** The mounted PEM files in use (TEMPORAL_TLS_*_PATH, KAFKA_SSL_CA_PATH). */
  readonly files: readonly string[];
  /** How often their content is compared (TLS_RELOAD_CHECK_MS). */
  readonly checkMs: number;
  /** Upper bound of the random delay before the restart (TLS_RELOAD_JITTER_MS). */
  readonly jitterMs: number;
}

export interface TlsReloadWatch {
  stop(): void;
}

function digest(file: string): string {
  try {
    return createHash('sha256').update(readFileSync(file)).digest('hex');
  } catch {
    // Mid-swap (the kubelet replaces a symlink) or gone: not a change until it reads again.
    return '';
  }
}

/**
 * Calls `onRotated` once, with the files whose content changed, a random delay in [0, jitterMs)
 * after the first check that saw a change.
 */
export function watchTlsFiles(
  settings: TlsReloadSettings,
  onRotated: (changed: string[]) => void,
  random: () => number = Math.random,
): TlsReloadWatch {
  const initial = new Map(settings.files.map((f) => [f, digest(f)]));
  let delay: NodeJS.Timeout | undefined;
  const timer = setInterval(() => {
    const changed = settings.files.filter((f) => {
      const now = digest(f);
      return now !== '' && now !== initial.get(f);
    });
    if (changed.length === 0) return;
    clearInterval(timer);
    delay = setTimeout(() => onRotated(changed), Math.floor(random() * settings.jitterMs));
    delay.unref();
  }, settings.checkMs);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (delay) clearTimeout(delay);
    },
  };
}
