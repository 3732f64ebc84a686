/**
 * The charts' READMEs, written by helm-docs from Chart.yaml and the `# --` comments in values.yaml.
 * `npm run charts:docs` rewrites them; tests/charts/chart-docs.test.ts fails when a committed README
 * differs from what helm-docs writes (a value added or re-described without regenerating).
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../lib/paths.js';
import { run } from '../lib/proc.js';
import { ensureGoTool } from './go.js';

export const CHARTS_DIR = join(repoRoot, 'charts');
export const CHART_NAMES = ['ingest-bridge', 'sensor-worker', 'pipeline-common'] as const;

/** Runs helm-docs over every chart under `chartsDir`, writing README.md beside each Chart.yaml. */
export async function writeChartDocs(chartsDir: string = CHARTS_DIR): Promise<void> {
  const helmDocs = await ensureGoTool('helm-docs');
  await run(helmDocs, ['--chart-search-root', chartsDir, '--sort-values-order', 'file'], {
    cwd: chartsDir,
  });
}

/**
 * What helm-docs would write for each chart now, from a copy (the checkout is left as it is);
 * `edit` changes the copy first (a test's control).
 */
export async function generatedChartDocs(
  edit?: (chartsCopy: string) => void,
): Promise<Record<string, string>> {
  const copy = mkdtempSync(join(tmpdir(), 'chart-docs-'));
  try {
    cpSync(CHARTS_DIR, copy, { recursive: true });
    edit?.(copy);
    await writeChartDocs(copy);
    return Object.fromEntries(
      CHART_NAMES.map((name) => [name, readFileSync(join(copy, name, 'README.md'), 'utf8')]),
    );
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}
