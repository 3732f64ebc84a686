/**
 * The local Prometheus that runs beside `npm run local` and the chaos run (local/prometheus.ts),
 * built from its pinned module: it scrapes a target, evaluates a rule written as the project writes
 * them, and the alert timeline (local/alert-timeline.ts) sees the alert pend, fire and end as the
 * scraped value crosses the threshold and comes back.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { AlertTimeline } from '../../local/alert-timeline.js';
import { LocalPrometheus } from '../../local/prometheus.js';
import { eventually } from '../../local/testing/test-stack.js';

let value = 0;
let server: Server;
let prometheus: LocalPrometheus | undefined;

before(async () => {
  server = createServer((_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
      .end(`# TYPE probe_value gauge\nprobe_value ${value}\n`),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

after(async () => {
  await prometheus?.stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

void test('an alert rule on a scraped value pends, fires and ends in the timeline', async () => {
  const target = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  prometheus = await LocalPrometheus.start({
    name: 'prometheus-test',
    port: 29_900 + Math.floor(Math.random() * 90),
    portEnvVar: 'none (a test port)',
    intervalS: 1,
    jobs: [{ job: 'probe', targets: [target] }],
    groups: [
      {
        name: 'probe',
        rules: [
          {
            alert: 'ProbeHigh',
            expr: 'max(probe_value) > 10',
            for: '2s',
            labels: { severity: 'warning' },
            annotations: { summary: 'probe high', description: 'the probe is above 10' },
          },
        ],
      },
    ],
  });
  const timeline = new AlertTimeline(prometheus, 500);
  timeline.start();
  try {
    await eventually(
      'the probe target up',
      async () => (await prometheus!.targets()).some((t) => t.job === 'probe' && t.health === 'up'),
      30_000,
    );
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(timeline.spans.length, 0, 'nothing fires below the threshold');
    value = 42;
    await eventually(
      'ProbeHigh firing',
      async () => timeline.spans.some((s) => s.firingAt !== undefined),
      30_000,
    );
    const span = timeline.spans[0]!;
    assert.equal(span.alert, 'ProbeHigh');
    assert.equal(span.severity, 'warning');
    assert.ok(span.firingAt! - span.pendingAt >= 2_000, 'fired only after its `for`');
    value = 0;
    await eventually('ProbeHigh ended', async () => span.endedAt !== undefined, 30_000);
    assert.deepEqual(
      timeline.firedBetween(from, Date.now()).map((s) => s.alert),
      ['ProbeHigh'],
    );
    assert.equal(timeline.spans.length, 1, 'one span for one episode');
    assert.equal(timeline.failedPolls, 0);
  } finally {
    await timeline.stop();
  }
});
