#!/usr/bin/env node
// `npm run synth|diff|deploy`: runs the project's cdktf CLI with terraform's environment made quiet
// and truthful. A TF_CLI_CONFIG_FILE that names a missing file makes every terraform call that cdktf
// makes warn "Unable to open CLI configuration file" (terraform then uses no CLI config at all, which
// is what unsetting it gives, minus the warning); an existing one is kept. CHECKPOINT_DISABLE stops
// the CLIs' version check, which calls out to the internet and logs an error when it cannot. Node 26
// has Web Storage on by default and warns when a library probes `localStorage` without a storage file,
// as the cdktf CLI's does: the CLI stores nothing there, so it runs with Web Storage off (a flag, not
// NODE_OPTIONS, which the CLI would warn about for lacking --max-old-space-size).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const env = { ...process.env, CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? '1' };
if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
const require = createRequire(import.meta.url);
const cli = join(dirname(require.resolve('cdktf-cli/package.json')), 'bundle', 'bin', 'cdktf');
const child = spawn(process.execPath, ['--no-experimental-webstorage', cli, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
