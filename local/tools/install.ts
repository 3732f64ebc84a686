/**
 * `npm run tools:install`: builds (Go) or installs (Python) every pinned tool into the cache (a no-op
 * when they are there), KEDA's operator and metrics server included.
 */
import { ensureKedaBinaries, kedaModuleVersion } from '../keda/build.js';
import { ensureGoTool, ensureKubernetesProviderMirror } from './go.js';
import { ensurePythonTool } from './python.js';
import { GO_TOOLS, PYTHON_TOOLS, type GoToolName, type PythonToolName } from './versions.js';

async function main(): Promise<void> {
  for (const name of Object.keys(GO_TOOLS) as GoToolName[]) {
    const binary = await ensureGoTool(name);
    process.stdout.write(`${name}\t${GO_TOOLS[name].version}\t${binary}\n`);
  }
  for (const name of Object.keys(PYTHON_TOOLS) as PythonToolName[]) {
    const binary = await ensurePythonTool(name);
    process.stdout.write(`${name}\t${PYTHON_TOOLS[name].version}\t${binary}\n`);
  }
  const mirror = await ensureKubernetesProviderMirror();
  process.stdout.write(`terraform mirror\t${mirror.version}\t${mirror.dir}\n`);
  // KEDA's operator and metrics server, for the autoscaling test (tests/iac/keda-autoscaling.test.ts).
  const keda = await ensureKedaBinaries();
  process.stdout.write(`keda operator\t${kedaModuleVersion()}\t${keda.operator}\n`);
  process.stdout.write(`keda metrics server\t${kedaModuleVersion()}\t${keda.metricsServer}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
