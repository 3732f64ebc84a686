/**
 * The rules the GitOps workflows must keep (issue: least privilege to the pull request), as pure
 * functions over parsed workflow files, so that a test can run them on the real workflows and on
 * hostile variants:
 *   - every action and reusable workflow from another repository is pinned by a 40-hex commit;
 *   - a job that can run on a pull request has no write permission (but `id-token`, to assume a
 *     role), no GitHub environment, no `secrets: inherit`, only the plan identity's secrets, and no
 *     secret at all unless forks are excluded; its plans neither refresh nor lock, and it applies
 *     nothing;
 *   - `terraform apply` anywhere applies a saved plan file, never the configuration directly.
 */

export interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, unknown>;
}

export interface Job {
  readonly if?: string;
  readonly needs?: string | readonly string[];
  readonly permissions?: string | Record<string, string>;
  readonly environment?: unknown;
  readonly uses?: string;
  readonly secrets?: unknown;
  readonly steps?: readonly Step[];
  readonly [key: string]: unknown;
}

export interface Workflow {
  readonly on: unknown;
  readonly jobs: Record<string, Job>;
}

/** Secrets a pull-request job may name: the plan reader's kubeconfig and the state-read role. */
export const PULL_REQUEST_SECRETS = [/^PLAN_KUBECONFIG_/, /^TF_STATE_READ_ROLE_ARN$/];

const FORK_GUARD = 'github.event.pull_request.head.repo.full_name == github.repository';

function triggers(on: unknown): string[] {
  if (typeof on === 'string') return [on];
  if (Array.isArray(on)) return on.map(String);
  return Object.keys((on ?? {}) as object);
}

/** Whether a job's `if` lets a pull_request event through (conservative: unknown means yes). */
function ifAllowsPullRequest(condition: string | undefined): boolean {
  if (!condition || !condition.includes('github.event_name')) return true;
  return /github\.event_name\s*==\s*'pull_request'/.test(condition);
}

/** Jobs that can run on a pull request: their condition allows it and every job they need can. */
export function pullRequestJobs(workflow: Workflow): string[] {
  if (!triggers(workflow.on).includes('pull_request')) return [];
  const memo = new Map<string, boolean>();
  const reachable = (name: string): boolean => {
    const cached = memo.get(name);
    if (cached !== undefined) return cached;
    memo.set(name, false);
    const job = workflow.jobs[name]!;
    const needs = job.needs === undefined ? [] : [job.needs].flat();
    const ok = ifAllowsPullRequest(job.if) && needs.every(reachable);
    memo.set(name, ok);
    return ok;
  };
  return Object.keys(workflow.jobs).filter(reachable);
}

/** Names of the secrets an object refers to (`secrets.X`, `secrets['X']`, `format('X_{0}', …)`). */
export function secretNames(value: unknown): string[] {
  const text = JSON.stringify(value);
  const names = new Set<string>();
  for (const m of text.matchAll(/secrets\.([A-Za-z0-9_]+)/g)) names.add(m[1]!);
  for (const m of text.matchAll(/secrets\[\s*(?:format\()?\s*\\?'([A-Za-z0-9_{}]+)\\?'/g))
    names.add(m[1]!.replace(/\{\d+\}/g, ''));
  return [...names];
}

function runs(job: Job): string[] {
  return (job.steps ?? []).flatMap((s) => (s.run ? [s.run] : []));
}

/** Every rule broken in one workflow file, each naming the file, job and what is wrong. */
export function policyViolations(file: string, workflow: Workflow): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    const where = `${file}: job '${name}'`;
    const uses = [job.uses, ...(job.steps ?? []).map((s) => s.uses)].filter(
      (u): u is string => typeof u === 'string',
    );
    for (const u of uses) {
      if (u.startsWith('./') || u.startsWith('docker://')) continue;
      if (!/@[0-9a-f]{40}$/.test(u)) problems.push(`${where}: '${u}' is not pinned by commit SHA`);
    }
    for (const script of runs(job)) {
      for (const line of script.split('\n').filter((l) => /\bterraform\b.*\bapply\b/.test(l))) {
        if (/-auto-approve/.test(line) || !/\.tfplan\b/.test(line))
          problems.push(`${where}: '${line.trim()}' applies without the reviewed plan file`);
      }
    }
  }
  for (const name of pullRequestJobs(workflow)) {
    const job = workflow.jobs[name]!;
    const where = `${file}: job '${name}' (runs on pull requests)`;
    const permissions = job.permissions ?? {};
    if (typeof permissions === 'string') {
      if (permissions !== 'read-all' && permissions !== '{}')
        problems.push(`${where}: permissions '${permissions}'`);
    } else {
      for (const [scope, level] of Object.entries(permissions))
        if (level === 'write' && scope !== 'id-token') problems.push(`${where}: ${scope}: write`);
    }
    if (job.environment !== undefined) problems.push(`${where}: runs in a GitHub environment`);
    if (job.secrets === 'inherit') problems.push(`${where}: secrets: inherit`);
    const secrets = secretNames(job);
    for (const s of secrets)
      if (!PULL_REQUEST_SECRETS.some((re) => re.test(s)))
        problems.push(`${where}: uses secret ${s}, which is not the plan identity's`);
    if (secrets.length > 0 && !(job.if ?? '').includes(FORK_GUARD))
      problems.push(`${where}: uses secrets without excluding forks (${FORK_GUARD})`);
    for (const script of runs(job)) {
      for (const line of script.split('\n')) {
        if (/\bterraform\b.*\bapply\b/.test(line)) problems.push(`${where}: applies: '${line.trim()}'`);
        if (
          /\bterraform\b.*\bplan\b/.test(line) &&
          !(/-refresh=false/.test(line) && /-lock=false/.test(line))
        )
          problems.push(`${where}: '${line.trim()}' must plan with -refresh=false -lock=false`);
      }
    }
  }
  return problems;
}
