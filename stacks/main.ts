/**
 * `cdktf synth` entry point. Every environment is loaded, sized and validated inside the `try`
 * (stacks/config/load.ts; nothing runs when the modules load), so a configuration, calibration or
 * sizing mistake reaches the user as a message naming the field, not as a stack trace.
 */
import { synthOutdir } from './config/paths.js';
import { ConfigError } from './config/validate.js';
import { CalibrationError } from './capacity/calibration.js';
import { SizingError } from './capacity/model.js';
import { CrdsNotFetchedError } from './lib/crd-cache.js';

// Context (e.g. `environments`, `overrides`) reaches the App through the cdktf CLI.
const started = Date.now();
try {
  const { synthAll } = await import('./app.js');
  const stacks = synthAll(synthOutdir());
  console.log(`synthesized ${stacks.length} stacks in ${Date.now() - started} ms: ${stacks.join(', ')}`);
} catch (err) {
  // A configuration mistake is the user's to fix: the message names the field; a stack trace would bury it.
  if (!(
    err instanceof ConfigError ||
    err instanceof CalibrationError ||
    err instanceof SizingError ||
    err instanceof CrdsNotFetchedError
  ))
    throw err;
  console.error(`synth refused: ${err.message}`);
  process.exit(1);
}
