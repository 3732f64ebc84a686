/**
 * The charts' READMEs are helm-docs' output for the committed Chart.yaml and values.yaml: a value
 * added or re-described without `npm run charts:docs` fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHART_NAMES, CHARTS_DIR, generatedChartDocs } from '../../local/tools/chart-docs.js';

void test('each chart README is what helm-docs writes from its values (npm run charts:docs)', async () => {
  const generated = await generatedChartDocs();
  for (const name of CHART_NAMES) {
    const committed = readFileSync(join(CHARTS_DIR, name, 'README.md'), 'utf8');
    assert.equal(committed, generated[name], `charts/${name}/README.md is stale: run npm run charts:docs`);
    // The application charts' values are in the table (the library takes none).
    if (name !== 'pipeline-common') assert.match(committed, /\| resources \| object \|/);
  }
});

void test('control: a value re-described in values.yaml changes the README helm-docs writes', async () => {
  const marker = 'Described anew by the drift control';
  const generated = await generatedChartDocs((copy) => {
    const file = join(copy, 'sensor-worker', 'values.yaml');
    const values = readFileSync(file, 'utf8');
    const edited = values.replace(/^# -- .*$/m, `# -- ${marker}`);
    assert.notEqual(edited, values);
    writeFileSync(file, edited);
  });
  const committed = readFileSync(join(CHARTS_DIR, 'sensor-worker', 'README.md'), 'utf8');
  assert.ok(generated['sensor-worker']!.includes(marker));
  assert.notEqual(generated['sensor-worker'], committed);
});
