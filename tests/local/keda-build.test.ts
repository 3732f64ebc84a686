/** The KEDA build's inputs (its wrapper module) and the quantities its metrics server answers with. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replaceDirectives, wrapperGoMod } from '../../local/keda/build.js';
import { quantity } from '../../local/keda/keda.js';

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
  assert.match(wrapper, /^\tgithub\.com\/kedacore\/keda\/v2\/cmd\/operator$/m);
  assert.match(wrapper, /^\tgithub\.com\/kedacore\/keda\/v2\/cmd\/adapter$/m);
});

void test('quantity reads what the external metrics API serves', () => {
  assert.equal(quantity('0'), 0);
  assert.equal(quantity('100000'), 100_000);
  assert.equal(quantity('1500m'), 1.5);
  assert.equal(quantity('3k'), 3000);
  assert.throws(() => quantity('3x'), /unknown quantity suffix/);
});
