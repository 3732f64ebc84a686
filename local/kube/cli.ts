/**
 * `npm run kube:up` / `npm run kube:down`: the local Kubernetes API server the IaC tests use.
 * `npm run crds`: fetches the pinned operators' CRDs into the cache (what synth applies).
 */
import { ensureKubeApi, stopKubeApi } from './api.js';
import { ensureCrdFiles } from './crds.js';

async function main(command: string | undefined): Promise<void> {
  switch (command) {
    case 'up': {
      const api = await ensureKubeApi();
      process.stdout.write(`server:     ${api.server}\nkubeconfig: ${api.kubeconfig}\n`);
      return;
    }
    case 'down':
      await stopKubeApi();
      return;
    case 'crds':
      for (const set of await ensureCrdFiles())
        process.stdout.write(`${set.operator}\t${set.version}\t${set.files.length} files\n`);
      return;
    default:
      throw new Error('usage: tsx local/kube/cli.ts up|down|crds');
  }
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
