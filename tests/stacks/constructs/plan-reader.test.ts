import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PlanReader } from '../../../stacks/constructs/plan-reader.js';
import { only, resources, synth } from '../helpers.js';

interface Rule {
  api_groups: string[];
  resources: string[];
  verbs: string[];
}

void test('the plan reader reads, never writes, and is never granted Secrets', () => {
  const json = synth((s) => new PlanReader(s, 'plan-reader', { namespace: 'operators' }));
  const role = only(resources(json, 'kubernetes_cluster_role_v1'), 'ClusterRole') as { rule: Rule[] };
  for (const rule of role.rule) {
    assert.deepEqual(rule.verbs, ['get', 'list', 'watch']);
    // RBAC cannot deny: the core group, where Secrets live, must list its resources by name.
    if (rule.api_groups.includes('')) {
      assert.ok(!rule.resources.includes('*') && !rule.resources.includes('secrets'), JSON.stringify(rule));
      assert.ok(!rule.resources.some((r) => r.includes('/')), 'no subresource (pods/log, …)');
    }
    assert.ok(!rule.api_groups.includes('*'), 'no wildcard group');
  }
  const binding = only(resources(json, 'kubernetes_cluster_role_binding_v1'), 'binding') as {
    subject: { kind: string; name: string; namespace: string }[];
  };
  assert.deepEqual(binding.subject, [
    { kind: 'ServiceAccount', name: 'platform-plan-reader', namespace: 'operators' },
  ]);
  const sa = only(resources(json, 'kubernetes_service_account_v1'), 'ServiceAccount') as {
    automount_service_account_token: boolean;
  };
  assert.equal(sa.automount_service_account_token, false);
});
