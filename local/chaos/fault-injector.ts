/**
 * Injects one fault of the chaos schedule and returns once it is cleared: kills and relaunches a
 * process, restarts or takes down a server, or slows and stalls the network in front of one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { StackConfig } from '../config.js';
import type { PipelineRun } from '../pipeline-run.js';
import { startServer, stopServer } from './chaos-stack.js';
import type { Fault } from './schedule.js';
import type { ChaosSupervisor, Server } from './supervisor.js';
import type { TcpProxy } from './tcp-proxy.js';

export interface FaultTargets {
  readonly run: PipelineRun;
  readonly config: StackConfig;
  readonly proxies: { readonly postgres: TcpProxy; readonly temporal: TcpProxy };
  readonly supervisor: ChaosSupervisor;
  /** Seeded: which worker a kill hits is part of the replayable schedule. */
  readonly pick: () => number;
}

/** Injects `fault`, waits until it is cleared, and names the process or server it hit. */
export async function injectFault(fault: Fault, t: FaultTargets): Promise<string | undefined> {
  const sleepS = (s: number) => sleep(s * 1000);
  switch (fault.kind) {
    case 'kill-worker':
    case 'kill-bridge': {
      const candidates = fault.kind === 'kill-bridge' ? [t.run.bridge] : t.run.workers;
      const victim = candidates[Math.floor(t.pick() * candidates.length)]!;
      await t.supervisor.whilePlanned(victim.name, async () => {
        try {
          await t.run.kill(victim.name);
          await t.run.relaunch(victim.name);
        } catch (err) {
          // A replacement that does not come up is the supervisor's to restart, and counts.
          t.supervisor.reportUnplanned(
            `${victim.name} did not come back after its kill: ${String(err).split('\n')[0]}`,
          );
        }
      });
      return victim.name;
    }
    case 'restart-kafka':
    case 'restart-postgres':
    case 'restart-temporal': {
      const server = fault.kind.slice('restart-'.length) as Server;
      await stopServer(server, fault.hard ?? false);
      await startServer(server, t.config);
      return server;
    }
    case 'outage-postgres':
    case 'outage-temporal': {
      const server = fault.kind.slice('outage-'.length) as Server;
      await stopServer(server, false);
      await sleepS(fault.durationS ?? 60);
      await startServer(server, t.config);
      return server;
    }
    case 'slow-postgres':
    case 'slow-temporal': {
      const proxy = fault.kind === 'slow-postgres' ? t.proxies.postgres : t.proxies.temporal;
      proxy.setMode({ kind: 'delay', ms: fault.latencyMs ?? 50 });
      await sleepS(fault.durationS ?? 20);
      proxy.setMode({ kind: 'pass' });
      return proxy.opts.name;
    }
    case 'stall-postgres':
      t.proxies.postgres.setMode({ kind: 'stall' });
      await sleepS(fault.durationS ?? 10);
      t.proxies.postgres.setMode({ kind: 'pass' });
      return 'postgres';
  }
}
