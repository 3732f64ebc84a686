/**
 * Runs the KEDA scaler probe (local/keda/scaler-probe.go) on one ScaledObject held by an API server
 * and keeps its readings: the external metric KEDA's metrics server would serve the HPA, polled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ensureScalerProbe } from './build.js';

export interface ProbeMetric {
  readonly name: string;
  readonly value: number;
  /** The HPA's target per replica for this metric (KEDA writes it as an AverageValue). */
  readonly targetAverageValue: number;
}

export interface ProbeReading {
  readonly time: string;
  readonly active: boolean;
  readonly metrics: readonly ProbeMetric[];
  readonly error?: string;
}

export interface ScaledObjectRef {
  readonly namespace: string;
  readonly name: string;
}

/**
 * The replica count the HPA computes from one external AverageValue metric, within the
 * ScaledObject's bounds: ceil(value / target). (The HPA's 10 % tolerance and its scale-down window
 * only delay a change; they never pick another count.)
 */
export function hpaReplicas(metric: ProbeMetric, min: number, max: number): number {
  const wanted = metric.targetAverageValue > 0 ? Math.ceil(metric.value / metric.targetAverageValue) : min;
  return Math.min(max, Math.max(min, wanted));
}

export class ScalerProbe {
  private readonly readings: ProbeReading[] = [];
  private readonly stderr: string[] = [];
  private exit: string | undefined;

  private constructor(
    readonly ref: ScaledObjectRef,
    private readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.readings.push(JSON.parse(line) as ProbeReading);
      } catch {
        this.stderr.push(line);
      }
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 50) this.stderr.shift();
    });
    child.on('exit', (code, signal) => (this.exit = `exited (${code ?? signal})`));
  }

  /** Starts polling `ref` every `intervalMs` (building the probe on first use). */
  static async start(kubeconfig: string, ref: ScaledObjectRef, intervalMs = 1000): Promise<ScalerProbe> {
    const binary = await ensureScalerProbe();
    const child = spawn(
      binary,
      [
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        ref.namespace,
        '--name',
        ref.name,
        '--interval',
        `${intervalMs}ms`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new ScalerProbe(ref, child);
  }

  get latest(): ProbeReading | undefined {
    return this.readings.at(-1);
  }

  /** Waits for a reading that satisfies `accept`; fails naming `what`, the last reading and stderr. */
  async waitFor(
    what: string,
    accept: (r: ProbeReading) => boolean,
    timeoutMs = 60_000,
  ): Promise<ProbeReading> {
    const deadline = Date.now() + timeoutMs;
    let seen = this.readings.length;
    for (;;) {
      for (; seen < this.readings.length; seen++)
        if (accept(this.readings[seen]!)) return this.readings[seen]!;
      if (this.exit !== undefined || Date.now() > deadline) {
        throw new Error(
          `KEDA scaler probe on ${this.ref.namespace}/${this.ref.name}: ${this.exit ?? `timed out after ${timeoutMs / 1000} s`} ` +
            `waiting for ${what}; last reading ${JSON.stringify(this.latest)}\n${this.stderr.slice(-10).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async stop(): Promise<void> {
    if (this.exit !== undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}
