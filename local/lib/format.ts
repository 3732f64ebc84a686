/** How the local tools, the bench and the chaos run print counts and rates: rounded, with thousands separators. */
export function formatCount(n: number, missing = 'n/a'): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : missing;
}
