/** Pure arithmetic of the bench: percentiles, the "lag stays bounded" verdict, rates from samples. */

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentiles of `values` (sorted in place). Empty input gives NaN figures. */
export function percentiles(values: Float64Array): Percentiles {
  values.sort();
  const n = values.length;
  const at = (p: number) => (n === 0 ? Number.NaN : values[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]!);
  let sum = 0;
  for (const v of values) sum += v;
  return {
    count: n,
    p50: at(50),
    p95: at(95),
    p99: at(99),
    max: n ? values[n - 1]! : Number.NaN,
    mean: sum / n,
  };
}

/** Points of a CDF for plotting: `points` evenly spaced quantiles of sorted values. */
export function cdfPoints(sorted: Float64Array, points = 200): { q: number; value: number }[] {
  if (sorted.length === 0) return [];
  const out: { q: number; value: number }[] = [];
  for (let i = 0; i <= points; i++) {
    const q = i / points;
    out.push({ q, value: sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]! });
  }
  return out;
}

/** One progress sample of a phase: seconds since the phase started and cumulative counts. */
export interface PhaseSample {
  readonly t: number;
  /** Valid events produced (what the pipeline owes). */
  readonly produced: number;
  /** Records on the output topic. */
  readonly processed: number;
  readonly openBatches: number;
  readonly cores: Record<string, number>;
}

export interface BoundedVerdict {
  readonly bounded: boolean;
  /** Lag (produced − processed) at the end of the window, in events and in seconds of input. */
  readonly lagEndEvents: number;
  readonly lagEndSeconds: number;
  /** Least-squares slope of the lag over the last third of the window, events/s. */
  readonly lagSlopePerS: number;
  readonly reason: string;
}

/**
 * Lag is bounded when, at the end of the measured window, it is below `boundS` seconds of input
 * AND it does not grow over the window's last third: its least-squares slope there is at most 2 %
 * of the input rate (a pipeline that falls behind by 2 % accumulates 10 s of lag in 500 s), or the
 * lag at the end is under `noiseFloorS` of input: batching alone makes it swing that much (the
 * bridge's fetch wait plus about a second for a batch workflow).
 */
export function boundedVerdict(
  window: readonly PhaseSample[],
  inputRate: number,
  boundS: number,
  noiseFloorS = 1,
): BoundedVerdict {
  if (window.length < 2 || inputRate <= 0)
    return {
      bounded: false,
      lagEndEvents: NaN,
      lagEndSeconds: NaN,
      lagSlopePerS: NaN,
      reason: 'too few samples',
    };
  const lag = (s: PhaseSample) => Math.max(0, s.produced - s.processed);
  const last = window[window.length - 1]!;
  const lagEndEvents = lag(last);
  const lagEndSeconds = lagEndEvents / inputRate;
  const from = window[0]!.t + (2 / 3) * (last.t - window[0]!.t);
  const tail = window.filter((s) => s.t >= from);
  const slope = tail.length >= 2 ? leastSquaresSlope(tail.map((s) => [s.t, lag(s)])) : 0;
  // Under the noise floor the lag is batching's swing (fetch wait + one workflow), not a trend.
  const growing = slope > 0.02 * inputRate && lagEndSeconds > noiseFloorS;
  const tooHigh = lagEndSeconds > boundS;
  const reason = tooHigh
    ? `lag ${lagEndSeconds.toFixed(1)} s of input > ${boundS} s`
    : growing
      ? `lag grows ${slope.toFixed(0)} events/s over the last third (> 2 % of input)`
      : `lag ${lagEndSeconds.toFixed(1)} s of input, slope ${slope.toFixed(0)} events/s`;
  return { bounded: !tooHigh && !growing, lagEndEvents, lagEndSeconds, lagSlopePerS: slope, reason };
}

export function leastSquaresSlope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (const [x, y] of points) {
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const d = n * sxx - sx * sx;
  return d === 0 ? 0 : (n * sxy - sx * sy) / d;
}

/** Rate (per second) of a cumulative counter between the first and last sample of a window. */
export function windowRate(window: readonly PhaseSample[], key: 'produced' | 'processed'): number {
  if (window.length < 2) return 0;
  const a = window[0]!;
  const b = window[window.length - 1]!;
  return b.t > a.t ? (b[key] - a[key]) / (b.t - a.t) : 0;
}
