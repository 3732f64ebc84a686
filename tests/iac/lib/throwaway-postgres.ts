/**
 * What the tests that run their own throwaway Postgres servers share (postgres-tls, postgres-failover):
 * the server binaries run as the `postgres` user when the tests run as root (initdb refuses root),
 * and each server listens on a free loopback port.
 */
import { execFileSync } from 'node:child_process';
import { chownSync } from 'node:fs';

export const asRoot = process.getuid?.() === 0;

/** Runs a Postgres binary, as the `postgres` user when this process is root. */
export function execPostgres(cmd: string, args: string[]): string {
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Gives `paths` to the `postgres` user when this process is root (the server must own its files). */
export function chownToPostgres(...paths: string[]): void {
  if (!asRoot) return;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  for (const p of paths) chownSync(p, id('-u'), id('-g'));
}

/** A free port for a throwaway server (local/lib/proc.ts). */
export { freePort } from '../../../local/lib/proc.js';
