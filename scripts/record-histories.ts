/**
 * Records workflow histories from a run on the real local servers into tests/fixtures/histories/.
 * The replay test replays them with the current workflow code: a change that would break running
 * workflows (non-determinism) fails CI. Re-record only for an intended, versioned change:
 *   npx tsx scripts/record-histories.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../local/lib/proc.js';
import { ensureTemporalBinaries } from '../local/temporal.js';
import { TEMPORAL_NAMESPACE } from '../workers/shared/temporal.js';
import { repoRoot } from '../local/lib/paths.js';
import { createLogger } from '../workers/lib/logger.js';
import type { SensorData } from '../workers/shared/events.js';
import { acknowledgeSignal, alertWorkflowId } from '../workers/shared/temporal.js';
import { startSensorWorker } from '../workers/worker/sensor-worker.js';
import { sensorData } from '../local/testing/events.js';
import { BatchDriver } from '../local/testing/batch-driver.js';
import {
  eventually,
  stack,
  testDatabase,
  testKafka,
  testTemporal,
  testTopics,
  testWorkerConfig,
  uniqueId,
} from '../local/testing/test-stack.js';

async function main(): Promise<void> {
  const id = uniqueId('rec');
  const ep = await stack();
  const topics = await testTopics(ep, id);
  const db = await testDatabase(ep, id);
  const temporal = await testTemporal(ep);
  const kafka = testKafka(ep);
  const worker = await startSensorWorker({
    config: testWorkerConfig(ep, id, topics, db.url, { escalation: { tiersMs: [1000, 1000] } }),
    kafka,
    client: temporal.client,
    log: createLogger('record'),
  });
  const driver = new BatchDriver(kafka, temporal.client, `${id}-queue`, topics.sensorData);
  const batch = async (deviceId: string, temps: number[], extra: SensorData[] = []) =>
    (await driver.run(deviceId, temps, extra, 1)).workflowId;
  const save = async (name: string, workflowId: string) => {
    // The CLI writes the canonical proto-JSON that Worker.runReplayHistory reads.
    const { cli } = await ensureTemporalBinaries();
    const json = await run(cli, [
      'workflow',
      'show',
      '--workflow-id',
      workflowId,
      '--namespace',
      TEMPORAL_NAMESPACE,
      '--address',
      ep.temporalAddress,
      '--output',
      'json',
    ]);
    writeFileSync(join(repoRoot, 'tests', 'fixtures', 'histories', `${name}.json`), json);
    console.log(`recorded ${name} (${(JSON.parse(json) as { events: unknown[] }).events.length} events)`);
  };

  const implausible = sensorData(`${id}-a`, 900, { readings: { humidity: 300 } });
  await save(
    'batch-with-breach-rejects-and-duplicates',
    await batch(`${id}-a`, [20, 85, 86, 86], [implausible]),
  );
  await save(
    'batch-plain',
    await batch(
      `${id}-b`,
      Array.from({ length: 200 }, (_, i) => 20 + (i % 10)),
    ),
  );
  await eventually('escalated twice', async () => {
    const { rows } = await db.pool.query(
      "SELECT 1 FROM alert_transitions WHERE transition = 'escalated' AND alert_id = $1",
      [alertWorkflowId(`${id}-a`, 'temperature-high')],
    );
    return rows.length === 2;
  });
  await batch(`${id}-a`, [60]);
  await temporal.client.workflow.getHandle(alertWorkflowId(`${id}-a`, 'temperature-high')).result();
  await save('alert-escalated-then-resolved', alertWorkflowId(`${id}-a`, 'temperature-high'));

  await batch(`${id}-c`, [95]);
  await eventually(
    'alert open',
    async () =>
      (
        await db.pool.query('SELECT 1 FROM alerts WHERE alert_id = $1', [
          alertWorkflowId(`${id}-c`, 'temperature-high'),
        ])
      ).rows.length === 1,
  );
  await temporal.client.workflow
    .getHandle(alertWorkflowId(`${id}-c`, 'temperature-high'))
    .signal(acknowledgeSignal, { by: 'oncall' });
  await eventually(
    'acknowledged',
    async () =>
      (
        await db.pool.query("SELECT 1 FROM alerts WHERE alert_id = $1 AND status = 'acknowledged'", [
          alertWorkflowId(`${id}-c`, 'temperature-high'),
        ])
      ).rows.length === 1,
  );
  await batch(`${id}-c`, [50]);
  await temporal.client.workflow.getHandle(alertWorkflowId(`${id}-c`, 'temperature-high')).result();
  await save('alert-acknowledged-then-resolved', alertWorkflowId(`${id}-c`, 'temperature-high'));

  await worker.shutdown();
  await temporal.close();
  await db.drop();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
