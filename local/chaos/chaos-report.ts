/**
 * What a chaos run reports: each fault's outcome (downtime, recovery, peak lags and RSS) and the
 * verdict, as one line per fault while it runs and as the table at the end.
 */
import type { Verification } from '../pipeline-run.js';
import { fmt } from '../pipeline-run.js';
import { describeFault, type Fault } from './schedule.js';

export interface FaultOutcome {
  readonly fault: Fault;
  readonly target?: string;
  /** Seconds from injection until the fault was cleared (process back, server up, proxy normal). */
  readonly downtimeS: number;
  /** Seconds from injection until the lag was back to its level before the fault; undefined: never. */
  readonly recoveryS: number | undefined;
  readonly peakLag: number;
  readonly peakBridgeLag: number;
  readonly bridgePaused: boolean;
  readonly peakOpenBatches: number;
  readonly peakRssMiB: { bridge: number; worker: number };
}

export interface ChaosReport {
  readonly seed: number;
  readonly runId: string;
  readonly schedule: Fault[];
  readonly outcomes: FaultOutcome[];
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
