/**
 * The measured inputs of the capacity model: what one co-located run of the pipeline achieved and
 * what each process used while doing it. `npm run bench -- --max` writes stacks/capacity/calibration.json;
 * this module reads and validates it. The per-core rate of a process is `eventsPerMinute / cores`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The processes whose CPU and memory the benchmark measures, one per scalable part of the platform. */
export const PROCESSES = ['kafka', 'temporal', 'postgres', 'bridge', 'worker'] as const;
export type ProcessName = (typeof PROCESSES)[number];

export interface CalibrationProvenance {
  /** The command that produced the figures; a provisional file says so here. */
  readonly command: string;
  /** ISO-8601 time of the run. */
  readonly date: string;
  readonly machine: { readonly cores: number; readonly memoryGiB: number; readonly cpu: string };
  readonly gitCommit: string;
  readonly versions: { readonly kafka: string; readonly temporal: string; readonly node: string };
}

export interface CalibrationMeasurement {
  /** Sustained end-to-end rate at which the run held its lag bounded. */
  readonly eventsPerMinute: number;
  /** Events per batch workflow during the run. */
  readonly batchEvents: number;
  readonly workflowsPer1000Events: number;
  readonly historyEventsPer1000Events: number;
  /** Bytes of one sensor-data record as stored by the broker. */
  readonly avgEventBytes: number;
  /** Average cores each process used over the sustained run. */
  readonly cpuCoresAtMax: Readonly<Record<ProcessName, number>>;
  /** Resident memory of each process at that rate, MiB. */
  readonly rssMiBAtMax: Readonly<Record<ProcessName, number>>;
  /** The same two at half that rate: with them, memory splits into a fixed and a per-core part. */
  readonly cpuCoresAtHalf: Readonly<Record<ProcessName, number>>;
  readonly rssMiBAtHalf: Readonly<Record<ProcessName, number>>;
}

export interface Calibration {
  readonly provenance: CalibrationProvenance;
  readonly measured: CalibrationMeasurement;
}

/** The committed calibration file. */
export const CALIBRATION_FILE = fileURLToPath(new URL('./calibration.json', import.meta.url));

/** Thrown for an unreadable or invalid calibration file; each issue names the field's path. */
export class CalibrationError extends Error {
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`invalid calibration ${source}:\n  - ${issues.join('\n  - ')}`);
    this.name = 'CalibrationError';
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `path` ("a.b.c") from `root`, or undefined. */
function at(root: unknown, path: string): unknown {
  let v = root;
  for (const key of path.split('.')) v = isObject(v) ? v[key] : undefined;
  return v;
}

/**
 * Validates parsed JSON as a calibration. Pure, so tests feed it hand-made input.
 * @throws CalibrationError listing every bad field with its value and what was expected.
 */
export function parseCalibration(raw: unknown, source = 'calibration'): Calibration {
  const issues: string[] = [];
  const text = (path: string): void => {
    const v = at(raw, path);
    if (typeof v !== 'string' || v.trim() === '') {
      issues.push(`'${path}' (${JSON.stringify(v)}) must be a non-empty string`);
    }
  };
  const positive = (path: string, why: string): void => {
    const v = at(raw, path);
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      issues.push(`'${path}' (${JSON.stringify(v)}) must be a number > 0 (${why})`);
    }
  };

  for (const p of ['command', 'date', 'machine.cpu', 'gitCommit', 'versions.kafka', 'versions.temporal']) {
    text(`provenance.${p}`);
  }
  text('provenance.versions.node');
  if (
    typeof at(raw, 'provenance.date') === 'string' &&
    Number.isNaN(Date.parse(at(raw, 'provenance.date') as string))
  ) {
    issues.push(`'provenance.date' (${JSON.stringify(at(raw, 'provenance.date'))}) must be an ISO-8601 date`);
  }
  positive('provenance.machine.cores', 'cores of the measuring machine');
  positive('provenance.machine.memoryGiB', 'memory of the measuring machine');

  positive('measured.eventsPerMinute', 'the sustained rate of the run');
  positive('measured.batchEvents', 'events per batch workflow');
  positive('measured.workflowsPer1000Events', 'batch and alert workflows started per 1,000 events');
  positive('measured.historyEventsPer1000Events', 'Temporal history events per 1,000 events');
  positive('measured.avgEventBytes', 'bytes per stored sensor-data record');
  for (const proc of PROCESSES) {
    positive(`measured.cpuCoresAtMax.${proc}`, `average cores ${proc} used at the measured rate`);
    positive(`measured.rssMiBAtMax.${proc}`, `resident memory of ${proc} at the measured rate, MiB`);
    positive(`measured.cpuCoresAtHalf.${proc}`, `average cores ${proc} used at half the measured rate`);
    positive(`measured.rssMiBAtHalf.${proc}`, `resident memory of ${proc} at half the measured rate, MiB`);
  }
  // A process cannot use more cores than the machine has: a larger figure means a unit mix-up (% vs cores).
  const cores = at(raw, 'provenance.machine.cores');
  if (typeof cores === 'number') {
    for (const proc of PROCESSES) {
      for (const field of ['cpuCoresAtMax', 'cpuCoresAtHalf']) {
        const used = at(raw, `measured.${field}.${proc}`);
        if (typeof used === 'number' && used > cores) {
          issues.push(
            `'measured.${field}.${proc}' (${used}) must be <= 'provenance.machine.cores' (${cores}): cores, not percent`,
          );
        }
      }
    }
  }
  if (issues.length > 0) throw new CalibrationError(source, issues);
  return raw as Calibration;
}

/** Reads and validates a calibration file (default: the committed stacks/capacity/calibration.json). */
export function readCalibration(file: string = CALIBRATION_FILE): Calibration {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CalibrationError(file, [`cannot read it as JSON: ${(err as Error).message}`]);
  }
  return parseCalibration(raw, file);
}

/** Whether the file is a placeholder rather than a benchmark result (its command says so). */
export function isProvisional(c: Calibration): boolean {
  return c.provenance.command.startsWith('provisional');
}
