/**
 * Credentials mounted as files (a Kubernetes Secret volume) and read each time they are used: the
 * kubelet rewrites the files when the Secret changes, so a rotated password is used by the next
 * connection without a restart (docs/operations.md#rotating-credentials).
 */
import { readFileSync } from 'node:fs';

/** The file's content without its trailing newline (Secrets written by hand often end with one). */
export function readCredentialFile(path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
}
