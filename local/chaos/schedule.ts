/**
 * The chaos schedule: which faults, in which order, with which parameters, all drawn from one seed so
 * that `--seed N` replays a failing run. Faults run one after another: each waits until the pipeline
 * has caught up with the previous one, then a seeded pause, so every recovery time is its own.
 */
import { seededRandom } from '../lib/seeded-random.js';

export const FAULT_KINDS = [
  'kill-worker',
  'kill-bridge',
  'restart-kafka',
  'restart-temporal',
  'restart-postgres',
  'slow-postgres',
  'stall-postgres',
  'slow-temporal',
  'outage-postgres',
  'outage-temporal',
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Fault {
  readonly kind: FaultKind;
  /** Seconds of steady load before the fault is injected. */
  readonly pauseBeforeS: number;
  /** Servers: SIGKILL of the whole process group (crash) rather than a clean stop. */
  readonly hard?: boolean;
  /** Slow, stall and outage faults: how long the dependency stays degraded or down. */
  readonly durationS?: number;
  /** Slow faults: latency added to every chunk in each direction. */
  readonly latencyMs?: number;
}

export type ScheduleProfile = 'full' | 'short';

export interface ScheduleOptions {
  readonly profile: ScheduleProfile;
  /** Length of the Postgres and Temporal outages (the backpressure faults). */
  readonly outageS: number;
  /** These faults instead of the profile's (`--faults`); the profile still sets the pauses. */
  readonly kinds?: readonly FaultKind[];
}

/** Which faults each profile runs; the seed decides their order and parameters. */
const PROFILES: Record<ScheduleProfile, readonly FaultKind[]> = {
  // Issue 7: each process killed several times, each server restarted, a slow and a stalled network,
  // and one outage of each stateful dependency long enough for backpressure to engage.
  full: [
    'kill-worker',
    'kill-worker',
    'kill-worker',
    'kill-bridge',
    'kill-bridge',
    'kill-bridge',
    'restart-kafka',
    'restart-temporal',
    'restart-postgres',
    'slow-postgres',
    'stall-postgres',
    'slow-temporal',
    'outage-postgres',
    'outage-temporal',
  ],
  // The test: one of each kind that has broken pipelines before, a slow network, and the two outages
  // (server down; server up but cut off from the workers, which only backpressure can absorb).
  short: [
    'kill-worker',
    'kill-bridge',
    'restart-postgres',
    'restart-temporal',
    'restart-kafka',
    'slow-postgres',
    'stall-postgres',
    'outage-postgres',
  ],
};

export function chaosSchedule(seed: number, opts: ScheduleOptions): Fault[] {
  const random = seededRandom(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const kinds = [...(opts.kinds ?? PROFILES[opts.profile])];
  // Fisher-Yates with the seeded generator.
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  const short = opts.profile === 'short';
  return kinds.map((kind): Fault => {
    const pauseBeforeS = short ? between(3, 8) : between(10, 30);
    switch (kind) {
      case 'restart-kafka':
      case 'restart-temporal':
      case 'restart-postgres':
        return { kind, pauseBeforeS, hard: random() < 0.5 };
      case 'slow-postgres':
      case 'slow-temporal':
        return { kind, pauseBeforeS, durationS: short ? 10 : between(20, 40), latencyMs: between(20, 150) };
      // Postgres unreachable for the workers only (Temporal keeps its own connection): batches stay
      // open, and only the bridge's backpressure keeps the backlog in Kafka. As long as an outage.
      case 'stall-postgres':
      case 'outage-postgres':
      case 'outage-temporal':
        return { kind, pauseBeforeS, durationS: opts.outageS };
      default:
        return { kind, pauseBeforeS };
    }
  });
}

export function describeFault(f: Fault): string {
  const parts: string[] = [f.kind];
  if (f.hard !== undefined) parts.push(f.hard ? '(SIGKILL)' : '(clean stop)');
  if (f.latencyMs !== undefined) parts.push(`+${f.latencyMs} ms each way`);
  if (f.durationS !== undefined) parts.push(`for ${f.durationS} s`);
  return parts.join(' ');
}
