/**
 * What a chaos run reports: each fault's outcome (downtime, recovery, peak lags and RSS) and the
 * verdict, as one line per fault while it runs and as the table at the end.
 */
import type { AlertTimeline } from '../alert-timeline.js';
import { describeNotifications, type Notification } from '../alert-webhook.js';
import type { Verification } from '../pipeline-run.js';
import { fmt } from '../pipeline-run.js';
import { describeFault, type Fault } from './schedule.js';

/** An alert of the project's rules that fired during a run (local Prometheus, alert-timeline.ts). */
export interface FiredAlert {
  readonly alert: string;
  readonly severity: string;
  /** Seconds from the window's start (the fault's injection) until it fired. */
  readonly firedAfterS: number;
  /** Seconds it kept firing; undefined: still firing when the run ended. */
  readonly firingS: number | undefined;
}

/** The alerts that began to hold within [from, to) and fired. */
export function alertsDuring(timeline: AlertTimeline, from: number, to: number): FiredAlert[] {
  return timeline.firedBetween(from, to).map((s) => ({
    alert: s.alert,
    severity: s.severity,
    firedAfterS: (s.firingAt! - from) / 1000,
    firingS: s.endedAt === undefined ? undefined : (s.endedAt - s.firingAt!) / 1000,
  }));
}

export interface FaultOutcome {
  readonly fault: Fault;
  readonly target?: string;
  /** When it was injected, ms since the epoch. */
  readonly injectedAt: number;
  /** Seconds from injection until the fault was cleared (process back, server up, proxy normal). */
  readonly downtimeS: number;
  /** Seconds from injection until the lag was back to its level before the fault; undefined: never. */
  readonly recoveryS: number | undefined;
  readonly peakLag: number;
  readonly peakBridgeLag: number;
  readonly bridgePaused: boolean;
  readonly peakOpenBatches: number;
  readonly peakRssMiB: { bridge: number; worker: number };
  /** The alerts that fired from its injection until the next fault (or the run's end). */
  readonly alerts?: readonly FiredAlert[];
}

export interface ChaosReport {
  readonly seed: number;
  readonly runId: string;
  readonly schedule: Fault[];
  readonly outcomes: FaultOutcome[];
  /** Alerts that fired during the warm-up, before the first fault. */
  readonly alertsBeforeSchedule: readonly FiredAlert[];
  /** Polls of Prometheus's alerts that failed: gaps in the timeline. */
  readonly alertPollsFailed: number;
  /** What the run's Alertmanager sent each receiver of the production routes (local webhook). */
  readonly notifications: readonly Notification[];
  /** Prometheus's scrape targets at the end of the schedule, by job. */
  readonly scrapeTargets: readonly { job: string; url: string; health: string; lastError: string }[];
  readonly unplannedExits: string[];
  readonly peakRssMiB: { bridge: number; worker: number };
  readonly verification: Verification | undefined;
  readonly drained: boolean;
  readonly simulatorError: string | undefined;
  readonly elapsedS: number;
  readonly ok: boolean;
}

export function describeOutcome(o: FaultOutcome): string {
  return (
    `<< ${describeFault(o.fault)}${o.target ? ` [${o.target}]` : ''}: down ${o.downtimeS.toFixed(1)} s, ` +
    `recovered ${o.recoveryS === undefined ? 'NOT within the timeout' : `in ${o.recoveryS.toFixed(1)} s`}, ` +
    `peak lag ${fmt(o.peakLag)} (bridge ${fmt(o.peakBridgeLag)})` +
    `${o.bridgePaused ? ', bridge paused' : ''}, peak open batches ${fmt(o.peakOpenBatches)}`
  );
}

export function printReport(r: ChaosReport, say: (line: string) => void): void {
  say('');
  say(`chaos report of run ${r.runId} (seed ${r.seed}, ${r.elapsedS.toFixed(0)} s)`);
  say(
    '  fault                                         target          down s  recovery s  peak lag  bridge lag  paused  open  rss MiB b/w',
  );
  for (const o of r.outcomes) {
    say(
      `  ${describeFault(o.fault).padEnd(45)} ${(o.target ?? '').padEnd(15)} ${o.downtimeS.toFixed(1).padStart(6)}` +
        `  ${(o.recoveryS === undefined ? 'NONE' : o.recoveryS.toFixed(1)).padStart(10)}  ${fmt(o.peakLag).padStart(8)}` +
        `  ${fmt(o.peakBridgeLag).padStart(10)}  ${(o.bridgePaused ? 'yes' : 'no').padStart(6)}  ${fmt(o.peakOpenBatches).padStart(4)}` +
        `  ${o.peakRssMiB.bridge.toFixed(0)}/${o.peakRssMiB.worker.toFixed(0)}`,
    );
  }
  printAlerts(r, say);
  say(
    `  peak RSS over the run: bridge ${r.peakRssMiB.bridge.toFixed(0)} MiB, worker ${r.peakRssMiB.worker.toFixed(0)} MiB`,
  );
  say(`  unplanned exits: ${r.unplannedExits.length === 0 ? 'none' : r.unplannedExits.join('; ')}`);
  say(`  drained: ${r.drained ? 'yes' : 'NO'}`);
  if (r.simulatorError) say(`  the simulator failed: ${r.simulatorError}`);
  const v = r.verification;
  if (v) {
    say(`  alerts: ${v.alertLine}`);
    for (const c of v.checks) say(`  ${c.pass ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
  }
  say(r.ok ? `chaos check: OK (seed ${r.seed})` : `chaos check: FAILED (replay with --seed ${r.seed})`);
}

function describeAlerts(alerts: readonly FiredAlert[]): string {
  return alerts
    .map(
      (a) =>
        `${a.alert} (${a.severity}) after ${a.firedAfterS.toFixed(0)} s, ` +
        (a.firingS === undefined ? 'still firing' : `resolved ${a.firingS.toFixed(0)} s later`),
    )
    .join('; ');
}

/**
 * Per fault, the alerts that fired (the project's rules, evaluated by the run's Prometheus with a
 * short `for`): what the on-call engineer would have been paged for. A fault that fired nothing is
 * listed as a finding: either it needs no page, or a rule is missing.
 */
function printAlerts(r: ChaosReport, say: (line: string) => void): void {
  say("  alerts fired (rules of stacks/observability/rules.ts, evaluated by the run's Prometheus):");
  if (r.alertsBeforeSchedule.length > 0)
    say(`    before the first fault: ${describeAlerts(r.alertsBeforeSchedule)}`);
  for (const o of r.outcomes)
    say(
      `    ${describeFault(o.fault)}: ${o.alerts && o.alerts.length > 0 ? describeAlerts(o.alerts) : 'nothing fired'}`,
    );
  const silent = r.outcomes.filter((o) => o.alerts?.length === 0).map((o) => describeFault(o.fault));
  if (silent.length > 0) say(`    finding: no alert fired for ${silent.join(', ')}`);
  say(`  notified through Alertmanager (production's routes): ${describeNotifications(r.notifications)}`);
  const down = r.scrapeTargets.filter((t) => t.health !== 'up');
  say(
    `    scrape targets: ${r.scrapeTargets.length - down.length} of ${r.scrapeTargets.length} up` +
      (down.length > 0 ? ` (down: ${down.map((t) => `${t.job} ${t.url}: ${t.lastError}`).join('; ')})` : '') +
      (r.alertPollsFailed > 0 ? `; ${r.alertPollsFailed} polls of the alerts failed` : ''),
  );
}
