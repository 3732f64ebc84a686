/**
 * Postgres array literals for the apply statement's unnest() parameters, built in one pass. node-pg
 * builds the same literal from a JS array, but through two regex replaces and a type dispatch per
 * element: 5 % of the worker's CPU at 5,000 events per batch (BENCHMARKS.md). A literal string
 * passes through node-pg unchanged.
 */

const NEEDS_ESCAPE = /["\\]/;

/** `{"a","b",NULL}`: every element quoted, so commas, braces, spaces and the word NULL stay text. */
export function textArray(values: readonly (string | null | undefined)[]): string {
  const parts = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v == null) parts[i] = 'NULL';
    else if (NEEDS_ESCAPE.test(v)) parts[i] = `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    else parts[i] = `"${v}"`;
  }
  return `{${parts.join(',')}}`;
}

/**
 * `{1,2.5,-3}` for finite numbers, or integer strings (Kafka offsets); anything else is refused,
 * since an unquoted element must not carry syntax.
 */
export function numberArray(values: readonly (number | string)[]): string {
  for (const v of values) {
    if (typeof v === 'number' ? !Number.isFinite(v) : !/^-?\d+$/.test(v))
      throw new TypeError(`not a finite number or an integer string: ${JSON.stringify(v)}`);
  }
  return `{${values.join(',')}}`;
}
