/**
 * `npm run stack:up | stack:down | stack:status`: manage the local servers by hand. `purge` also
 * deletes the servers' data kept outside the checkout (a checkout about to be deleted).
 */
import { loadStackConfig } from './config.js';
import { StackError } from './lib/proc.js';
import { stackDown, stackPurge, stackStatus, stackUp } from './stack.js';

async function main(): Promise<void> {
  const command = process.argv[2];
  const config = loadStackConfig();
  switch (command) {
    case 'up':
      await stackUp(config);
      break;
    case 'down':
      await stackDown();
      break;
    case 'purge':
      await stackPurge();
      break;
    case 'status':
      for (const [name, status] of Object.entries(stackStatus(config)))
        console.log(`${name.padEnd(9)} ${status}`);
      break;
    default:
      console.error('usage: stack-cli.ts up|down|purge|status');
      process.exit(2);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof StackError ? `stack: ${err.message}` : err);
  process.exit(1);
});
