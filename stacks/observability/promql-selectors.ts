/**
 * The vector selectors of a PromQL expression: which metric names it selects (so that a test can
 * check every dashboard panel and every rule against what the processes and exporters emit,
 * tests/stacks/observability/metric-names), and the same expression with one more label matcher on
 * each of them (the dashboards' namespace variable).
 * Not a PromQL parser: a scanner that steps over what cannot be a metric name (strings, label
 * matchers, ranges and subqueries, grouping label lists, numbers and durations) and takes the
 * identifiers that are not keywords and not followed by "(" (functions and aggregations).
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
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** A metric name in an expression, and where its label matchers are (or would go). */
interface Selector {
  readonly name: string;
  /** Index just past the name. */
  readonly end: number;
  /** The `{…}` that follows the name, if any: index of "{" and of "}". */
  readonly braces?: { readonly open: number; readonly close: number };
}

function closing(expr: string, from: number, open: string, close: string): number {
  let depth = 0;
  for (let i = from; i < expr.length; i++) {
    const c = expr[i];
    if (c === '"' || c === "'" || c === '`') i = stringEnd(expr, i);
    else if (c === open) depth++;
    else if (c === close && --depth === 0) return i;
  }
  throw new Error(`unbalanced ${open}${close} in PromQL: ${expr}`);
}

function stringEnd(expr: string, from: number): number {
  const quote = expr[from];
  for (let i = from + 1; i < expr.length; i++) {
    if (quote !== '`' && expr[i] === '\\') i++;
    else if (expr[i] === quote) return i;
  }
  throw new Error(`unterminated string in PromQL: ${expr}`);
}

function selectors(expr: string): Selector[] {
  const found: Selector[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') i = stringEnd(expr, i) + 1;
    else if (c === '[') i = closing(expr, i, '[', ']') + 1;
    else if (c === '{') i = closing(expr, i, '{', '}') + 1;
    else if (/\d/.test(c)) {
      // Numbers and durations (0.95, 1e3, 5m), so that their letters are not read as names.
      const m = /^\d[\w.]*/.exec(expr.slice(i))!;
      i += m[0].length;
    } else if (/[A-Za-z_:]/.test(c)) {
      const name = /^[A-Za-z_:][\w:]*/.exec(expr.slice(i))![0];
      const end = i + name.length;
      const next = end + (/^\s*/.exec(expr.slice(end))?.[0].length ?? 0);
      const lower = name.toLowerCase();
      if (LABEL_LIST_KEYWORDS.has(lower)) {
        // `by (le, topic)`: label names, not metrics.
        i = expr[next] === '(' ? closing(expr, next, '(', ')') + 1 : end;
      } else if (
        KEYWORDS.has(lower) ||
        expr[next] === '(' ||
        /^(?:by|without)\s*\(/i.test(expr.slice(next))
      ) {
        // A keyword, a function call, or an aggregation with its grouping first (`sum by (le) (…)`).
        i = end;
      } else {
        const braces = expr[next] === '{' ? { open: next, close: closing(expr, next, '{', '}') } : undefined;
        found.push({ name, end, ...(braces ? { braces } : {}) });
        i = braces ? braces.close + 1 : end;
      }
    } else i++;
  }
  return found;
}

/** The metric names an expression selects, each once, in order of appearance. */
export function metricNames(expr: string): string[] {
  return [...new Set(selectors(expr).map((s) => s.name))];
}

/** The expression with `matcher` (for example `namespace=~"$namespace"`) added to every selector. */
export function withLabelMatcher(expr: string, matcher: string): string {
  let out = '';
  let from = 0;
  for (const s of selectors(expr)) {
    if (s.braces) {
      const inner = expr.slice(s.braces.open + 1, s.braces.close);
      out += `${expr.slice(from, s.braces.open)}{${matcher}${inner.trim() ? `,${inner}` : ''}}`;
      from = s.braces.close + 1;
    } else {
      out += `${expr.slice(from, s.end)}{${matcher}}`;
      from = s.end;
    }
  }
  return out + expr.slice(from);
}
