/**
 * Policy scan findings we accept, each with why (mirrored in docs/iac-verification.md). checkov's
 * open-source checks carry no severity, so every finding counts as high until it is listed here.
 * Matching is by check id and a regular expression on checkov's resource id `<Kind>.<namespace>.<name>`.
 */
import type { Finding } from './lib/policy-scan.js';

export interface Acceptance {
  readonly checkId: string;
  readonly resource: RegExp;
  readonly reason: string;
}

/** Our two workloads, wherever they are rendered (stack releases, chart ci value sets). */
const OUR_DEPLOYMENTS = /^Deployment\.[^.]+\.(ingest-bridge|sensor-worker)$/;

export const ACCEPTED: readonly Acceptance[] = [
  {
    checkId: 'CKV_K8S_11',
    resource: OUR_DEPLOYMENTS,
    reason:
      'no CPU limit on purpose: CFS throttling stalls the bridge and worker event loops (latency, missed heartbeats); CPU requests are set and memory limit = request',
  },
  {
    checkId: 'CKV_K8S_15',
    resource: OUR_DEPLOYMENTS,
    reason:
      'imagePullPolicy IfNotPresent: CI pushes one immutable tag per commit (sha-<commit>), so Always would only add a registry dependency to every restart',
  },
  {
    checkId: 'CKV_K8S_43',
    resource: OUR_DEPLOYMENTS,
    reason:
      'image referenced by an immutable per-commit tag; the chart accepts image.digest for clusters that enforce digests',
  },
];

export function acceptanceFor(f: Finding): Acceptance | undefined {
  return ACCEPTED.find((a) => a.checkId === f.checkId && a.resource.test(f.resource));
}
