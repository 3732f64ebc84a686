/**
 * Runs the pinned policy scanner (checkov, Kubernetes framework) over a folder of rendered
 * manifests and returns its failed checks. Offline: no download of Prisma Cloud guidelines, so
 * findings carry no vendor severity; tests/iac/policy-accepted.ts is where a finding is judged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../local/lib/proc.js';

export interface Finding {
  /** Check id, e.g. CKV_K8S_20. */
  readonly checkId: string;
  readonly checkName: string;
  /** `<Kind>.<namespace>.<name>` as checkov names it. */
  readonly resource: string;
  /** The scanned file, relative to the scanned folder. */
  readonly file: string;
}

interface CheckovCheck {
  check_id: string;
  check_name: string;
  resource: string;
  file_path: string;
}

interface CheckovReport {
  check_type: string;
  results: { failed_checks: CheckovCheck[]; passed_checks?: CheckovCheck[] };
  summary: { passed: number; failed: number; parsing_errors: number; resource_count: number };
}

export interface ScanResult {
  readonly findings: Finding[];
  readonly passed: number;
  readonly resources: number;
  readonly parsingErrors: number;
}

/** Scans every YAML file under `dir` with the Kubernetes checks. */
export async function scanManifests(checkov: string, dir: string): Promise<ScanResult> {
  const out = mkdtempSync(join(tmpdir(), 'policy-scan-'));
  try {
    await run(
      checkov,
      [
        '--directory',
        dir,
        '--framework',
        'kubernetes',
        '--output',
        'json',
        '--output-file-path',
        out,
        // Findings are judged by the test, not by the exit code; nothing is fetched from a vendor API.
        '--soft-fail',
        '--skip-download',
        '--quiet',
      ],
      { env: { ...process.env, BC_SKIP_MAPPING: 'TRUE', CHECKOV_RUN_SCA_PACKAGE_SCAN_V2: 'false' } },
    );
    const parsed = JSON.parse(readFileSync(join(out, 'results_json.json'), 'utf8')) as
      CheckovReport | CheckovReport[];
    const reports = (Array.isArray(parsed) ? parsed : [parsed]).filter((r) => r.check_type === 'kubernetes');
    const findings = reports.flatMap((r) =>
      r.results.failed_checks.map((c) => ({
        checkId: c.check_id,
        checkName: c.check_name,
        resource: c.resource,
        file: c.file_path.replace(/^\//, ''),
      })),
    );
    const sum = (k: keyof CheckovReport['summary']) => reports.reduce((n, r) => n + r.summary[k], 0);
    return {
      findings,
      passed: sum('passed'),
      resources: sum('resource_count'),
      parsingErrors: sum('parsing_errors'),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
