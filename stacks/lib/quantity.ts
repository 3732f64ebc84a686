/**
 * Kubernetes resource quantities, as far as this repository writes them: a decimal number with an
 * optional suffix (`500m`, `2`, `16Gi`, `1.5T`). Validation uses the parser to compare sizes; the
 * capacity model uses the formatters so that what it prints is what the environment files contain.
 * @see https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/
 */

/** The accepted syntax; anything else (`2 cores`, `1 GiB`, `-1`) is refused with the field's path. */
export const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$/;

const MULTIPLIER: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** The quantity's value in base units (cores or bytes), or `undefined` when it does not parse. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = QUANTITY.exec(value);
  if (!m) return undefined;
  const suffix = m[2] ?? '';
  return Number(value.slice(0, value.length - suffix.length)) * MULTIPLIER[suffix]!;
}

export const GIB = 2 ** 30;

/** Bytes as a whole number of GiB, rounded up to a multiple of `step` GiB (`2000Gi`). */
export function formatGi(bytes: number, step = 1): string {
  return `${Math.max(step, Math.ceil(bytes / GIB / step) * step)}Gi`;
}

/** Cores as a CPU quantity: whole cores as `4`, fractions as millicores (`250m`). */
export function formatCpu(cores: number): string {
  const milli = Math.round(cores * 1000);
  return milli % 1000 === 0 ? String(milli / 1000) : `${milli}m`;
}
