#!/usr/bin/env node
// postinstall: compiles the one native addon that ships no binary for the pinned Node 26.
// cdktf-cli's terminal library (@cdktf/node-pty-prebuilt-multiarch 0.10.2, the last release) carries
// prebuilt binaries up to Node 22 (ABI 127); without one for this Node, every `cdktf` command fails on
// start. npm runs this script with node_modules/.bin first on the PATH, so `node` is the pinned Node,
// whose package ships its headers (include/node): node-gyp builds against them, offline, in seconds.
// Skipped where the addon is not installed (`npm ci --omit=dev`) or a binary already fits.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let pkgDir;
try {
  pkgDir = dirname(require.resolve('@cdktf/node-pty-prebuilt-multiarch/package.json'));
} catch {
  process.exit(0);
}
const prebuilt = join(
  pkgDir,
  'prebuilds',
  `${process.platform}-${process.arch}`,
  `node.abi${process.versions.modules}.node`,
);
const built = join(pkgDir, 'build', 'Release', 'pty.node');
// The ABI the binary was built for: a Node bump in place (npm install after the pin moved) must
// rebuild it, or every cdktf command fails to load a binary of the previous Node.
const builtAbi = join(pkgDir, 'build', 'Release', 'node-abi');
const abiOfBuilt = existsSync(builtAbi) ? readFileSync(builtAbi, 'utf8').trim() : undefined;
if (existsSync(prebuilt) || (existsSync(built) && abiOfBuilt === process.versions.modules)) process.exit(0);

const nodeDir = dirname(dirname(process.execPath));
const nodeGyp =
  process.env.npm_config_node_gyp ??
  join(dirname(dirname(process.env.npm_execpath ?? '')), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
// npm hands its own `nodedir` setting to scripts as npm_config_nodedir, which node-gyp prefers: set it.
const env = existsSync(join(nodeDir, 'include', 'node', 'node.h'))
  ? { ...process.env, npm_config_nodedir: nodeDir }
  : process.env;
process.stderr.write(
  `[native] building the cdktf terminal addon for Node ${process.version} (no prebuilt binary)\n`,
);
try {
  execFileSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: pkgDir, env, stdio: 'pipe' });
  writeFileSync(builtAbi, `${process.versions.modules}\n`);
} catch (err) {
  // The container image's build stage has no compiler and needs no cdktf: say so, do not fail the install.
  process.stderr.write(
    `${String(err.stderr ?? err)
      .split('\n')
      .slice(-15)
      .join('\n')}\n`,
  );
  process.stderr.write(
    '[native] could not build it (needs python3, make and a C++ compiler): `npm run synth|diff|deploy` will not start\n',
  );
}
