/**
 * Writes the pipeline's workflow bundle to a file, for WORKFLOW_BUNDLE_PATH (workflow-bundle.ts says
 * why): the Dockerfile runs it at image build, and local/pipeline-processes.ts before it starts a
 * worker process.
 *   tsx workers/worker/bundle-workflows.ts <out.js>
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { workflowBundle } from './workflow-bundle.js';

const out = process.argv[2];
if (!out) {
  console.error('usage: bundle-workflows <out.js>');
  process.exit(2);
}
const { code } = await workflowBundle();
mkdirSync(dirname(out), { recursive: true });
// Written aside and renamed: a worker never reads half a bundle.
const aside = `${out}.${process.pid}.tmp`;
writeFileSync(aside, code);
renameSync(aside, out);
console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
