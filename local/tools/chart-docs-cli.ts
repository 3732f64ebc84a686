/** `npm run charts:docs`: rewrites charts/<chart>/README.md with helm-docs (local/tools/chart-docs.ts). */
import { CHART_NAMES, writeChartDocs } from './chart-docs.js';

writeChartDocs()
  .then(() => {
    for (const name of CHART_NAMES) process.stdout.write(`charts/${name}/README.md\n`);
  })
  .catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
