/**
 * The metric names a PromQL expression selects, so that a test can check every dashboard panel and
 * every rule against what the processes and exporters emit (tests/stacks/observability/metric-names).
 * Not a PromQL parser: it drops what cannot be a metric name (strings, label matchers, ranges and
 * subqueries, grouping label lists, numbers and durations), then keeps the identifiers that are not
 * keywords and not followed by "(" (functions and aggregations).
 */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ');
  const names = new Set<string>();
  // Numbers and durations (0.95, 1e3, 5m) first, so that their letters are not read as names.
  for (const m of stripped.matchAll(/\d[\w.]*|([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = m;
    if (name && !call && !KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
}
