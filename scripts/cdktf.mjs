#!/usr/bin/env node
// `npm run synth|diff|deploy`: runs the project's cdktf CLI with terraform's environment made quiet
// and truthful. A TF_CLI_CONFIG_FILE that names a missing file makes every terraform call that cdktf
// makes warn "Unable to open CLI configuration file" (terraform then uses no CLI config at all, which
// is what unsetting it gives, minus the warning); an existing one is kept. CHECKPOINT_DISABLE stops
// the CLIs' version check, which calls out to the internet and logs an error when it cannot.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const env = { ...process.env, CHECKPOINT_DISABLE: process.env.CHECKPOINT_DISABLE ?? '1' };
if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE;
const child = spawn('npx', ['--no-install', 'cdktf', ...process.argv.slice(2)], { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
