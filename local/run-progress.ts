/**
 * Progress of a pipeline run as `npm run local` and the chaos run print it: a snapshot's counts in
 * one line, and the resident memory of a process.
 */
import { readFileSync } from 'node:fs';
import { formatCount as fmt } from './lib/format.js';

export interface RunSnapshot {
  readonly at: number;
  readonly produced: number;
  readonly valid: number;
  readonly duplicates: number;
  readonly malformed: number;
  /** Valid events whose effects are in the ledger (undefined while Postgres cannot be read). */
  readonly processed: number | undefined;
  readonly dlq: number;
  readonly alerts: Record<string, number> | undefined;
}

/** The progress line: produced, processed, lag, rate since the previous snapshot, DLQ, alerts. */
export function statusLine(
  phase: string,
  s: RunSnapshot,
  previous: RunSnapshot | undefined,
  startedAt: number,
): string {
  const rate =
    previous?.processed !== undefined && s.processed !== undefined
      ? ((s.processed - previous.processed) * 1000) / Math.max(1, s.at - previous.at)
      : undefined;
  const a = s.alerts;
  const raised = a ? Object.values(a).reduce((x, y) => x + y, 0) : undefined;
  return (
    `[${String(Math.round((s.at - startedAt) / 1000)).padStart(4)}s ${phase}] produced ${fmt(s.produced)}` +
    ` (valid ${fmt(s.valid)}, dup ${fmt(s.duplicates)}, malformed ${fmt(s.malformed)})` +
    ` | processed ${s.processed === undefined ? '?' : fmt(s.processed)}` +
    ` | lag ${s.processed === undefined ? '?' : fmt(Math.max(0, s.valid - s.processed))}` +
    ` | ${rate === undefined ? '?' : fmt(rate)} ev/s | dlq ${fmt(s.dlq)}` +
    ` | alerts ${a ? `${raised} (open ${a.open ?? 0}, acked ${a.acknowledged ?? 0}, resolved ${a.resolved ?? 0})` : '?'}`
  );
}

/** Resident set size of a live process in MiB (Linux /proc), undefined when it is gone. */
export function rssMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
