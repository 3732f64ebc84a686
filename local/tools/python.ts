/**
 * Pinned Python tools in their own virtual environments: `<cacheDir>/tools/<name>-<version>/`.
 * A venv cannot be moved after creation (its scripts name their interpreter by absolute path), so it
 * is built in place and a marker file written last says it is complete; a venv without the marker
 * is an interrupted install and is rebuilt.
 */
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../lib/paths.js';
import { run, StackError } from '../lib/proc.js';
import { progress, toolDir } from './go.js';
import { withLock } from './lock.js';
import { PYTHON_TOOLS, type PythonToolName, type PythonToolPin } from './versions.js';

const COMPLETE = '.install-complete';

async function findPython(): Promise<string> {
  for (const candidate of ['python3', 'python']) {
    try {
      const version = (
        await run(candidate, ['-c', 'import sys, venv; print(sys.version_info[:2] >= (3, 9))'])
      ).trim();
      if (version === 'True') return candidate;
    } catch {
      /* try the next name */
    }
  }
  throw new StackError(
    'Python >= 3.9 with the venv module is needed for the policy scanner: apt-get install -y python3 python3-venv',
  );
}

async function installPin(name: string, pin: PythonToolPin): Promise<string> {
  const dir = toolDir(name, pin.version);
  const binary = join(dir, 'bin', pin.binary);
  if (existsSync(join(dir, COMPLETE))) return binary;
  return withLock(join(cacheDir(), 'tools'), `${name}-${pin.version}`, async () => {
    if (existsSync(join(dir, COMPLETE))) return binary;
    const python = await findPython();
    rmSync(dir, { recursive: true, force: true });
    const started = Date.now();
    progress(`installing ${name} ${pin.version} (pip install ${pin.pkg}==${pin.version}); first time only`);
    await run(python, ['-m', 'venv', dir]);
    await run(join(dir, 'bin', 'python'), [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      `${pin.pkg}==${pin.version}`,
    ]);
    writeFileSync(join(dir, COMPLETE), `${pin.pkg}==${pin.version}\n`);
    progress(`installed ${name} ${pin.version} in ${Math.round((Date.now() - started) / 1000)} s`);
    return binary;
  });
}

/** Returns the path of the pinned tool's console script, installing it on first use. */
export async function ensurePythonTool(name: PythonToolName): Promise<string> {
  return installPin(name, PYTHON_TOOLS[name]);
}
