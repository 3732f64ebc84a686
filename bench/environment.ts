/** Where and with what a bench ran: machine, commit, server and Node versions (the calibration's provenance). */
import { execFileSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { repoRoot } from '../local/lib/paths.js';
import { VERSIONS } from '../local/versions.js';

export interface MachineInfo {
  readonly cores: number;
  readonly memoryGiB: number;
  readonly cpu: string;
}

export interface Provenance {
  readonly command: string;
  readonly date: string;
  readonly machine: MachineInfo;
  readonly gitCommit: string;
  readonly versions: { kafka: string; temporal: string; node: string };
}

export function machineInfo(): MachineInfo {
  return {
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
  };
}

export function provenance(args: readonly string[], machine: MachineInfo): Provenance {
  let gitCommit = 'unknown';
  try {
    gitCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
  } catch {
    /* not a checkout: the figure stays usable, its origin says unknown */
  }
  return {
    command: ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' '),
    date: new Date().toISOString(),
    machine,
    gitCommit,
    versions: { kafka: VERSIONS.kafka, temporal: VERSIONS.temporalServer, node: process.version },
  };
}
