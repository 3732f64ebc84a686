#!/usr/bin/env node
// Installs the npm dependencies when node_modules is missing or older than package-lock.json, so that
// `npm run local` and `npm test` work straight after a clone. Plain Node: it runs before anything is installed.
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
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, `${want}\n`);
}
