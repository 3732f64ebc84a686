/** Synthesizes constructs in isolation (cdktf Testing) and reads the resulting Terraform JSON. */
import { Testing } from 'cdktf';
import type { Construct } from 'constructs';

export interface TfJson {
  resource?: Record<string, Record<string, Record<string, unknown>>>;
  [key: string]: unknown;
}

export function synth(build: (scope: Construct) => void): TfJson {
  return JSON.parse(Testing.synthScope(build)) as TfJson;
}

/** Every resource body of a type. */
export function resources(json: TfJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource?.[type] ?? {});
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: Record<string, unknown> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The `manifest` of every kubernetes_manifest, optionally of one kind. */
export function manifests(json: TfJson, kind?: string): Manifest[] {
  return resources(json, 'kubernetes_manifest')
    .map((r) => r.manifest as Manifest)
    .filter((m) => !kind || m.kind === kind);
}

export function only<T>(items: T[], what: string): T {
  if (items.length !== 1) throw new Error(`expected exactly one ${what}, found ${items.length}`);
  return items[0]!;
}

/** Parsed YAML/JSON whose shape a test asserts on field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = Record<string, any>;
