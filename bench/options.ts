/**
 * `npm run bench` flags, validated once with the flag, its value and what was expected in the error.
 * `--quick` is the smoke-test profile: small rate, short phases, short baselines, no calibration.
 */
import { parseArgs } from 'node:util';
import { PRODUCER_CODECS, type ProducerCodec } from '../workers/lib/kafka-codecs.js';

export interface BenchOptions {
  /** Input rate of the measured phase, events/s; undefined with --max (searched). */
  readonly rate?: number;
  readonly max: boolean;
  /** Measured phase at the rate (or the max), seconds; the 50 % phase runs half as long. */
  readonly durationS: number;
  /** Leading part of each phase left out of the figures while queues and caches warm up, seconds. */
  readonly warmupS: number;
  readonly devices: number;
  /** BRIDGE_MAX_BATCH_EVENTS of the bridge under test; undefined keeps the bridge's default. */
  readonly batchSize?: number;
  readonly partitions: number;
  readonly producers: number;
  readonly compression: ProducerCodec;
  readonly workers: number;
  readonly quick: boolean;
  readonly profile: boolean;
  readonly baselines: boolean;
  /** Seconds each baseline runs at its own maximum. */
  readonly baselineS: number;
  /** Records preloaded for the pass-through ceiling (it drains them as fast as it can). */
  readonly ceilingRecords: number;
  readonly writeCalibration: boolean;
  /** Results directory; default <state dir>/bench/<timestamp>. */
  readonly out?: string;
  readonly seed: number;
  /** Consumer lag (in seconds of input) at the end of the window that still counts as bounded. */
  readonly lagBoundS: number;
  readonly drainTimeoutS: number;
  readonly keep: boolean;
}

export class OptionError extends Error {
  override name = 'OptionError';
}

function num(flag: string, raw: string | undefined, min: number, max: number, integer = false): number {
  const value = Number(raw);
  if (raw === undefined || !Number.isFinite(value) || value < min || value > max) {
    throw new OptionError(`--${flag} ${raw}: expected a number between ${min} and ${max}`);
  }
  if (integer && !Number.isInteger(value)) throw new OptionError(`--${flag} ${raw}: expected an integer`);
  return value;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  try {
    return fromArgs(argv);
  } catch (err) {
    // node:util's messages name the flag already; they only need to surface as a usage error.
    if ((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      throw new OptionError((err as Error).message);
    throw err;
  }
}

function fromArgs(argv: readonly string[]): BenchOptions {
  const { values: a } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      rate: { type: 'string' },
      max: { type: 'boolean', default: false },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      devices: { type: 'string' },
      'batch-size': { type: 'string' },
      partitions: { type: 'string', default: '6' },
      producers: { type: 'string' },
      compression: { type: 'string', default: 'none' },
      workers: { type: 'string', default: '1' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-baselines': { type: 'boolean', default: false },
      'baseline-duration': { type: 'string' },
      'ceiling-records': { type: 'string' },
      'write-calibration': { type: 'boolean', default: false },
      out: { type: 'string' },
      seed: { type: 'string', default: '42' },
      'lag-bound': { type: 'string', default: '10' },
      'drain-timeout': { type: 'string', default: '300' },
      keep: { type: 'boolean', default: false },
    },
  });
  const quick = a.quick!;
  if (a.rate !== undefined && a.max) throw new OptionError('--rate and --max exclude each other');
  const rate = a.rate !== undefined ? num('rate', a.rate, 1, 1_000_000) : quick ? 300 : undefined;
  const max = a.max || rate === undefined;
  const durationS = num('duration', a.duration ?? (quick ? '20' : '300'), 10, 3600);
  const compression = a.compression! as ProducerCodec;
  if (!PRODUCER_CODECS.includes(compression))
    throw new OptionError(`--compression ${compression}: expected ${PRODUCER_CODECS.join(', ')}`);
  const expectedRate = rate ?? 20_000;
  return {
    rate,
    max,
    durationS,
    warmupS: num('warmup', a.warmup ?? String(Math.min(20, Math.round(durationS / 5))), 0, durationS / 2),
    devices: num('devices', a.devices ?? (quick ? '200' : '2000'), 1, 1_000_000, true),
    batchSize:
      a['batch-size'] !== undefined ? num('batch-size', a['batch-size'], 1, 10_000, true) : undefined,
    partitions: num('partitions', a.partitions, 1, 256, true),
    // Measured: one simulator process spends ~0.08 cores per 1,000 records/s (batched sends of up to
    // 2,000), so 15,000/s keeps each well below one core.
    producers: num(
      'producers',
      a.producers ?? String(Math.max(1, Math.ceil(expectedRate / 15_000))),
      1,
      16,
      true,
    ),
    compression,
    workers: num('workers', a.workers, 1, 8, true),
    quick,
    profile: a.profile!,
    baselines: !a['no-baselines'],
    baselineS: num('baseline-duration', a['baseline-duration'] ?? (quick ? '12' : '60'), 5, 600),
    ceilingRecords: num(
      'ceiling-records',
      a['ceiling-records'] ?? (quick ? '30000' : '1500000'),
      1000,
      50_000_000,
      true,
    ),
    // A full --max run is the calibration run; --quick never writes it.
    writeCalibration: !quick && (a['write-calibration']! || max),
    out: a.out,
    seed: num('seed', a.seed, 0, 2 ** 32 - 1, true),
    lagBoundS: num('lag-bound', a['lag-bound'], 0.5, 600),
    drainTimeoutS: num('drain-timeout', a['drain-timeout'], 10, 3600),
    keep: a.keep!,
  };
}
