/** Finds the toolchains the local stack builds with, and says what to install when one is missing. */
import { execFileSync } from 'node:child_process';
import { StackError } from './lib/proc.js';

export function which(cmd: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export function requireTool(cmd: string, purpose: string, install: string): string {
  const found = which(cmd);
  if (!found)
    throw new StackError(`'${cmd}' not found on PATH; it is needed to ${purpose}. Install ${install}.`);
  return found;
}

export function requireJava(): string {
  return requireTool(
    'java',
    'run the Kafka broker',
    'a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)',
  );
}

export function requireGo(): string {
  return requireTool('go', 'build the Temporal server and CLI', 'Go 1.24 or newer (https://go.dev/dl/)');
}

export function requireMaven(): string {
  return requireTool('mvn', 'fetch the Kafka broker jars', 'Apache Maven (Debian: apt-get install maven)');
}
