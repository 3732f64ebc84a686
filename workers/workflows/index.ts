/** Workflow entry point for the worker's bundle: every workflow type registered on the task queue. */
export { processSensorBatch } from './process-sensor-batch.js';
export { deviceAlert } from './device-alert.js';
export { pruneLedger } from './prune-ledger.js';
