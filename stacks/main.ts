import { synthAll } from './app.js';
import { synthOutdir } from './config/load.js';

// Context (e.g. `environments`, `overrides`) reaches the App through the cdktf CLI.
const started = Date.now();
const stacks = synthAll(synthOutdir());
console.log(`synthesized ${stacks.length} stacks in ${Date.now() - started} ms: ${stacks.join(', ')}`);
