/**
 * The GitOps workflows keep least privilege (tests/iac/lib/workflow-policy.ts): actions pinned by
 * commit, pull-request jobs with the plan identity's read-only credentials only (none for forks),
 * plans without refresh or lock there, and every apply applying the reviewed plan file. Each rule
 * is also run on a hostile variant, which it must catch.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { repoRoot } from '../../local/lib/paths.js';
import { policyViolations, pullRequestJobs, type Workflow } from './lib/workflow-policy.js';

const workflowsDir = join(repoRoot, '.github', 'workflows');
const read = (file: string): Workflow => parse(readFileSync(join(workflowsDir, file), 'utf8')) as Workflow;
const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));

void test('every workflow keeps the policy', () => {
  assert.ok(files.includes('infra.yml') && files.includes('apply.yml') && files.includes('drift.yml'));
  const problems = files.flatMap((f) => policyViolations(f, read(f)));
  assert.deepEqual(problems, []);
});

void test("the composite setup action's steps are pinned by commit too", () => {
  const action = parse(
    readFileSync(join(repoRoot, '.github', 'actions', 'setup-platform', 'action.yml'), 'utf8'),
  ) as { runs: { steps: { uses?: string }[] } };
  const unpinned = action.runs.steps
    .map((s) => s.uses)
    .filter((u): u is string => u !== undefined && !/@[0-9a-f]{40}$/.test(u));
  assert.deepEqual(unpinned, []);
});

void test('pull requests reach the test and plan jobs only; the plan job excludes forks', () => {
  const infra = read('infra.yml');
  assert.deepEqual(pullRequestJobs(infra).sort(), ['plan', 'test']);
  assert.match(infra.jobs.plan!.if!, /head\.repo\.full_name == github\.repository/);
});

void test('the reviewed plan is the plan applied: apply.yml saves plan files and applies them, nothing else', () => {
  const apply = read('apply.yml');
  const planScript = apply.jobs.plan!.steps!.map((s) => s.run ?? '').join('\n');
  const applyJob = apply.jobs.apply!;
  const applyScript = applyJob.steps!.map((s) => s.run ?? '').join('\n');
  assert.match(planScript, /plan .*-out=reviewed\.tfplan/);
  assert.match(applyScript, /apply .*reviewed\.tfplan/);
  assert.doesNotMatch(
    applyScript,
    /npx cdktf|\bsynth\b|terraform [^\n]*\splan\s/,
    'the apply job must not re-synthesize or re-plan',
  );
  assert.deepEqual(applyJob.needs, 'plan');
  assert.ok(applyJob.steps!.some((s) => s.uses?.startsWith('actions/download-artifact@')));
});

void test('the drift check runs on a schedule and fails on a non-empty plan', () => {
  const drift = read('drift.yml');
  assert.ok((drift.on as { schedule?: unknown[] }).schedule?.length, 'no schedule');
  const script = drift.jobs.drift!.steps!.map((s) => s.run ?? '').join('\n');
  assert.match(script, /plan .*-detailed-exitcode/);
  assert.match(script, /-eq 2/);
});

// Controls: each rule catches what it is there for.
const hostile = (jobs: Workflow['jobs']): Workflow => ({ on: { pull_request: {} }, jobs });

void test('control: a pull-request job with the apply role, an environment or write access is caught', () => {
  const problems = policyViolations(
    'hostile.yml',
    hostile({
      plan: {
        permissions: { contents: 'write', 'id-token': 'write' },
        environment: 'prod',
        steps: [
          { uses: 'actions/checkout@v4' },
          { run: 'echo "${{ secrets.TF_APPLY_ROLE_ARN }}"' },
          { run: 'terraform plan -no-color' },
        ],
      },
    }),
  );
  for (const expected of [
    /'actions\/checkout@v4' is not pinned/,
    /contents: write/,
    /runs in a GitHub environment/,
    /uses secret TF_APPLY_ROLE_ARN/,
    /without excluding forks/,
    /must plan with -refresh=false -lock=false/,
  ])
    assert.ok(
      problems.some((p) => expected.test(p)),
      `${expected} not reported in:\n${problems.join('\n')}`,
    );
});

void test('control: a job needing a push-only job is not a pull-request job; an apply without a plan file is caught', () => {
  const wf: Workflow = {
    on: { pull_request: {}, push: {} },
    jobs: {
      image: { if: "github.event_name == 'push'", steps: [] },
      deploy: { needs: 'image', steps: [{ run: 'terraform apply -auto-approve' }] },
    },
  };
  assert.deepEqual(pullRequestJobs(wf), []);
  assert.ok(
    policyViolations('hostile.yml', wf).some((p) => /applies without the reviewed plan file/.test(p)),
  );
});
