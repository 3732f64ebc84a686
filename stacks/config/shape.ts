/**
 * The structure check that runs before the field rules: unknown keys (a typo in an override must fail,
 * not be ignored), missing required fields and objects where an object belongs. The committed
 * environments are the schema: TypeScript checks them against types.ts, so their keys are the
 * declared fields in use; a field required in every one of them is required. Keys that only some
 * variants or no committed file use are listed in OPTIONAL_KEYS.
 */

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Shape {
  readonly keys: ReadonlyMap<string, { readonly required: boolean; readonly child?: Shape }>;
}

/** The shape common to `refs` (objects at the same path); `extra` adds keys that are never required. */
export function shapeOf(refs: readonly unknown[], extra?: unknown): Shape {
  const objects = refs.filter(isPlain);
  const names = new Set([
    ...objects.flatMap((o) => Object.keys(o)),
    ...(isPlain(extra) ? Object.keys(extra) : []),
  ]);
  const keys = new Map<string, { required: boolean; child?: Shape }>();
  for (const name of names) {
    const values = objects.map((o) => o[name]);
    const extraValue = isPlain(extra) ? extra[name] : undefined;
    const required = objects.length > 0 && values.every((v) => v !== undefined);
    const nested = values.some(isPlain) || isPlain(extraValue);
    keys.set(name, nested ? { required, child: shapeOf(values, extraValue) } : { required });
  }
  return { keys };
}

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
        d[i - 1]![j - 1]! + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
      );
    }
  }
  return d[a.length]![b.length]!;
}

/** The known key closest to a typo, if one is close enough to be what was meant. */
function suggestion(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const dist = distance(name, k);
    if (dist < bestDistance) [best, bestDistance] = [k, dist];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 4))
    ? ` (did you mean '${best}'?)`
    : '';
}

/**
 * Issues of `value` against `shape`, each naming the path. `opaque` paths are left to their own
 * rules (their keys are data, such as topic keys).
 */
export function shapeIssues(
  value: unknown,
  shape: Shape,
  path = '',
  opaque: ReadonlySet<string> = new Set(),
): string[] {
  const here = path === '' ? 'the configuration' : `'${path}'`;
  if (!isPlain(value)) {
    const keys = [...shape.keys].filter(([, s]) => s.required).map(([k]) => k);
    return [`${here} (${JSON.stringify(value)}) must be an object with ${keys.join(', ')}`];
  }
  const issues: string[] = [];
  const at = (k: string) => (path === '' ? k : `${path}.${k}`);
  for (const key of Object.keys(value)) {
    if (!shape.keys.has(key) && !opaque.has(path)) {
      issues.push(
        `'${at(key)}' is not a known field${suggestion(key, shape.keys.keys())}: expected one of ${[...shape.keys.keys()].join(', ')}`,
      );
    }
  }
  for (const [key, s] of shape.keys) {
    const v = value[key];
    if (v === undefined || v === null) {
      if (s.required && !opaque.has(path)) issues.push(`'${at(key)}' (${String(v)}) is required`);
      continue;
    }
    if (s.child) issues.push(...shapeIssues(v, s.child, at(key), opaque));
  }
  return issues;
}
