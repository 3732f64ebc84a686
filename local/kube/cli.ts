/**
 * `npm run kube:up` / `npm run kube:down`: the local Kubernetes API server the IaC tests use.
 * `npm run crds`: fetches the pinned operators' CRDs into the cache, which synth reads (the cdktf
 * app in cdktf.json runs it first).
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
    case 'crds': {
      // `--quiet` for the cdktf app, which runs this before every synth: progress (stderr) only.
      const sets = await ensureCrdFiles();
      if (!process.argv.includes('--quiet'))
        for (const set of sets)
          process.stdout.write(`${set.operator}\t${set.version}\t${set.files.length} files\n`);
      return;
    }
    default:
      throw new Error('usage: tsx local/kube/cli.ts up|down|crds');
  }
}

main(process.argv[2]).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
