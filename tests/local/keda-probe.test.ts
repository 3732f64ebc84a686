/** The KEDA scaler probe's build inputs and the HPA arithmetic the autoscaling test applies to it. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replaceDirectives, wrapperGoMod } from '../../local/keda/build.js';
import { hpaReplicas } from '../../local/keda/scaler-probe.js';

void test("replaceDirectives keeps KEDA's replace lines, block and single, without comments", () => {
  const goMod = [
    'module github.com/kedacore/keda/v2',
    '',
    'go 1.26.0',
    '',
    'replace (',
    '\t// pin k8s.io to v0.35.5',
    '\tk8s.io/api => k8s.io/api v0.35.5',
    '\tsigs.k8s.io/controller-runtime => sigs.k8s.io/controller-runtime v0.23.3 // why',
    ')',
    '',
    'replace github.com/a/b => github.com/c/b v1.0.0',
    '',
    'require k8s.io/api v0.35.5',
  ].join('\n');
  assert.deepEqual(replaceDirectives(goMod), [
    'k8s.io/api => k8s.io/api v0.35.5',
    'sigs.k8s.io/controller-runtime => sigs.k8s.io/controller-runtime v0.23.3',
    'github.com/a/b => github.com/c/b v1.0.0',
  ]);
  const wrapper = wrapperGoMod('v2.20.2', ['k8s.io/api => k8s.io/api v0.35.5'], '1.26.8');
  assert.match(wrapper, /^require github\.com\/kedacore\/keda\/v2 v2\.20\.2$/m);
  assert.match(wrapper, /^\tk8s\.io\/api => k8s\.io\/api v0\.35\.5$/m);
});

void test('hpaReplicas: ceil(metric / target) within the ScaledObject bounds', () => {
  const m = (value: number) => ({ name: 's0-kafka', value, targetAverageValue: 20_000 });
  assert.equal(hpaReplicas(m(0), 2, 6), 2);
  assert.equal(hpaReplicas(m(40_000), 2, 6), 2);
  assert.equal(hpaReplicas(m(40_001), 2, 6), 3);
  assert.equal(hpaReplicas(m(1_000_000), 2, 6), 6);
});
