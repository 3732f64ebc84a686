import { stringify } from 'yaml';

type Values = Record<string, unknown>;

function isPlainObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of Helm values: objects merge, arrays and scalars from `override` replace. */
export function mergeValues(base: Values, override: Values | undefined): Values {
  if (!override) return { ...base };
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const prev = out[key];
    out[key] = isPlainObject(prev) && isPlainObject(value) ? mergeValues(prev, value) : value;
  }
  return out;
}

/** Values as the YAML document helm_release expects. */
export function toValuesYaml(values: Values): string {
  return stringify(values, { lineWidth: 0 });
}
