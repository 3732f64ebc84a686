/**
 * `npm run chaos`: the pipeline under steady load on its own stack instance while a seeded schedule of
 * faults hits it (process kills, server restarts, a slow and a stalled network, outages long enough
 * for backpressure), then drain and the exactly-once check, with each fault's recovery time.
 *
 *   npm run chaos -- [--seed N] [--rate 1000] [--devices 1000] [--workers 2] [--profile full|short]
 *                    [--outage 60] [--recovery-timeout 300] [--drain-timeout 600] [--max-open-batches 200]
 *                    [--worker-slots 4] [--faults kill-bridge,kill-worker,...]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runChaos } from './chaos-run.js';
import { FAULT_KINDS, type FaultKind } from './schedule.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string' },
    rate: { type: 'string', default: '1000' },
    devices: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '2' },
    profile: { type: 'string', default: 'full' },
    outage: { type: 'string', default: '60' },
    'recovery-timeout': { type: 'string', default: '300' },
    'drain-timeout': { type: 'string', default: '600' },
    'max-open-batches': { type: 'string', default: '200' },
    'worker-slots': { type: 'string', default: '4' },
    faults: { type: 'string' },
  },
});

function number(name: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    console.error(`--${name} ${raw}: expected a number between ${min} and ${max}`);
    process.exit(2);
  }
  return value;
}

const profile = args.profile;
if (profile !== 'full' && profile !== 'short') {
  console.error(`--profile ${profile}: expected full or short`);
  process.exit(2);
}

function faultKinds(raw: string | undefined): FaultKind[] | undefined {
  if (raw === undefined) return undefined;
  const kinds = raw.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (kinds.length === 0 || unknown.length > 0) {
    console.error(`--faults ${raw}: expected a comma-separated list of ${FAULT_KINDS.join(', ')}`);
    process.exit(2);
  }
  return kinds as FaultKind[];
}

runChaos({
  seed:
    args.seed !== undefined
      ? Math.floor(number('seed', args.seed, 0, 2 ** 32 - 1))
      : randomBytes(4).readUInt32BE(),
  profile,
  kinds: faultKinds(args.faults),
  rate: number('rate', args.rate, 1, 1_000_000),
  devices: Math.floor(number('devices', args.devices, 1, 1_000_000)),
  workers: Math.floor(number('workers', args.workers, 1, 8)),
  outageS: number('outage', args.outage, 1, 3600),
  recoveryTimeoutS: number('recovery-timeout', args['recovery-timeout'], 10, 7200),
  drainTimeoutS: number('drain-timeout', args['drain-timeout'], 0, 7200),
  maxOpenBatches: Math.floor(number('max-open-batches', args['max-open-batches'], 1, 100_000)),
  workerSlots: Math.floor(number('worker-slots', args['worker-slots'], 1, 1000)),
  say: (line) => process.stdout.write(`${line}\n`),
})
  .then((report) => process.exit(report.ok ? 0 : 1))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  });
