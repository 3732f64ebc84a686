/** Synthesizes the stacks (stacks/app.ts synthAll) into a temporary directory and reads them back. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StackJson } from './tf-to-kube.js';

export const ENVIRONMENTS = ['dev', 'staging', 'prod'] as const;
export const LAYERS = ['operators', 'platform', 'pipeline', 'observability'] as const;

export interface Synthesized {
  readonly outdir: string;
  /** Stack name -> its cdk.tf.json. */
  readonly stacks: ReadonlyMap<string, StackJson>;
  cleanup(): void;
}

export function stackFile(outdir: string, stack: string): string {
  return join(outdir, 'stacks', stack, 'cdk.tf.json');
}

type SynthAll = (outdir: string, environments?: string[]) => unknown;

/** stacks/app.ts is written alongside these tests; imported lazily so that a missing app fails the test, not the typecheck. */
async function loadSynthAll(): Promise<SynthAll> {
  const app = '../../../stacks/app.js';
  const mod = (await import(app)) as { synthAll?: SynthAll };
  if (typeof mod.synthAll !== 'function')
    throw new Error('stacks/app.ts exports no synthAll(outdir, environments?)');
  return mod.synthAll;
}

export async function synthToTemp(environments?: readonly string[]): Promise<Synthesized> {
  const synthAll = await loadSynthAll();
  const outdir = mkdtempSync(join(tmpdir(), 'iac-synth-'));
  await synthAll(outdir, environments ? [...environments] : undefined);
  const stacks = new Map<string, StackJson>();
  for (const name of readdirSync(join(outdir, 'stacks')).sort()) {
    stacks.set(name, JSON.parse(readFileSync(stackFile(outdir, name), 'utf8')) as StackJson);
  }
  return { outdir, stacks, cleanup: () => rmSync(outdir, { recursive: true, force: true }) };
}
