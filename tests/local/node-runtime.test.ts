/**
 * The project runs on the Node it pins (README, "Which Node runs"): npm scripts put
 * node_modules/.bin/node first on the PATH, whatever Node the machine has. If that mechanism broke,
 * `npm test` would run on the machine's Node and this test would say so.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  optionalDependencies?: Record<string, string>;
};

test('the tests run on the pinned Node 26, which satisfies engines', () => {
  const pinned = pkg.optionalDependencies?.[`node-${process.platform}-${process.arch}`];
  assert.ok(pinned, `package.json pins no Node for ${process.platform}-${process.arch}`);
  assert.equal(process.versions.node, pinned);
  const [major] = pinned.split('.').map(Number);
  assert.equal(major, 26, 'Node 26 is the active LTS line the project targets');
  const floor = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
  assert.ok(floor, `engines.node ${pkg.engines.node}: expected ">=major.minor"`);
  const [, minor] = pinned.split('.').map(Number);
  assert.ok(
    major! > Number(floor[1]) || (major === Number(floor[1]) && minor! >= Number(floor[2])),
    `pinned Node ${pinned} is below engines.node ${pkg.engines.node}`,
  );
});
