/**
 * The Temporal server versions the platform deploys, each with the temporalio/helm-charts chart that
 * ships it (charts/temporal/Chart.yaml, appVersion). A server bump adds a row here, one minor version
 * at a time (docs/upgrades.md); `temporal.version` in an environment picks the row.
 */
export const TEMPORAL_CHARTS: Readonly<Record<string, string>> = {
  '1.31.2': '1.6.0',
};

/** [major, minor, patch] of a server version such as "1.31.2"; undefined when malformed. */
export function temporalRelease(version: unknown): [number, number, number] | undefined {
  if (typeof version !== 'string') return undefined;
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** The chart that ships `version`; the config checks refuse any other version before synth gets here. */
export function temporalChart(version: string): string {
  const chart = TEMPORAL_CHARTS[version];
  if (!chart) throw new Error(`no Temporal chart for server ${version} in stacks/lib/temporal-releases.ts`);
  return chart;
}
