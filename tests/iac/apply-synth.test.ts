/**
 * Every Kubernetes object the stacks manage, for every environment, passes the real API server's
 * validation: server-side apply with fieldValidation=Strict against kube-apiserver serving the
 * pinned operators' CRDs. A wrong field name, a wrong type or a value outside a CRD's schema fails.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ensureKubeApi, lockKubeApiForTests } from '../../local/kube/api.js';
import { KubeClient } from '../../local/kube/client.js';
import { applyAll, deleteCreatedNamespaces, formatFailures, type Labelled } from './lib/kube-apply.js';
import { ENVIRONMENTS, LAYERS, synthToTemp, type Synthesized } from './lib/synth.js';
import { extractAll, type KubeObject } from './lib/tf-to-kube.js';
import { CnpgPostgres } from '../../stacks/constructs/cnpg-postgres.js';
import { manifests, synth as synthConstruct } from '../stacks/helpers.js';

let client: KubeClient;
let synth: Synthesized;

/** Held for the whole file: see lockKubeApiForTests. */
let release: (() => void) | undefined;

before(async () => {
  release = await lockKubeApiForTests();
  client = new KubeClient(await ensureKubeApi());
  synth = await synthToTemp();
});

after(async () => {
  synth?.cleanup();
  if (client) await deleteCreatedNamespaces(client);
  release?.();
});

function extract(env: string): { items: Labelled[]; errors: string[] } {
  const items: Labelled[] = [];
  const errors: string[] = [];
  for (const layer of LAYERS) {
    const name = `${layer}-${env}`;
    const stack = synth.stacks.get(name);
    assert.ok(stack, `stack ${name} was not synthesized`);
    const got = extractAll(name, stack);
    items.push(...got.objects.map((o) => ({ origin: `${o.stack}: ${o.address}`, object: o.object })));
    errors.push(...got.errors.map((e) => `- ${e.message}`));
  }
  return { items, errors };
}

function objectsOf(env: string): Labelled[] {
  return extract(env).items;
}

void test('synthAll writes the four layers for every environment', () => {
  for (const env of ENVIRONMENTS)
    for (const layer of LAYERS) assert.ok(synth.stacks.has(`${layer}-${env}`), `${layer}-${env}`);
});

for (const env of ENVIRONMENTS) {
  void test(`${env}: every kubernetes_manifest and kubernetes_*_v1 object passes strict server-side apply`, async (t) => {
    const { items, errors } = extract(env);
    const customResources = items.filter((i) => i.origin.includes('kubernetes_manifest.')).length;
    assert.ok(customResources > 0, 'no kubernetes_manifest resource found');
    const failures = await applyAll(client, items);
    t.diagnostic(`${items.length} objects, ${customResources} of them custom resources`);
    const problems = [
      ...errors,
      ...(failures.length
        ? [`${failures.length} of ${items.length} objects rejected:`, formatFailures(failures)]
        : []),
    ];
    assert.equal(problems.length, 0, problems.join('\n'));
  });
}

/** dev's first KafkaTopic: the negative tests break a real object from the synth output. */
function aKafkaTopic(): Labelled & { object: KubeObject & { spec: Record<string, unknown> } } {
  const found = objectsOf('dev').find(
    (i) => i.object.kind === 'KafkaTopic' && typeof i.object.spec === 'object',
  );
  assert.ok(found, 'dev has no KafkaTopic kubernetes_manifest');
  return found as Labelled & { object: KubeObject & { spec: Record<string, unknown> } };
}

void test('the untouched KafkaTopic is accepted (control for the negative tests)', async () => {
  const { origin, object } = aKafkaTopic();
  assert.deepEqual(await applyAll(client, [{ origin, object }]), []);
});

void test('a misspelled field in a custom resource is rejected', async () => {
  const { origin, object } = aKafkaTopic();
  const broken = structuredClone(object);
  broken.spec = { ...object.spec, partitons: object.spec.partitions };
  delete broken.spec.partitions;
  const failures = await applyAll(client, [{ origin, object: broken }]);
  assert.equal(failures.length, 1, 'KafkaTopic with spec.partitons was accepted');
  assert.match(failures[0]!.message, /spec\.partitons(: field not declared in schema|")/);
});

void test('a wrongly typed value in a custom resource is rejected', async () => {
  const { origin, object } = aKafkaTopic();
  const broken = structuredClone(object);
  broken.spec = { ...object.spec, partitions: 'twelve' };
  const failures = await applyAll(client, [{ origin, object: broken }]);
  assert.equal(failures.length, 1, 'KafkaTopic with spec.partitions "twelve" was accepted');
  assert.match(failures[0]!.message, /spec\.partitions/);
});

void test('a misspelled field in a converted kubernetes_*_v1 object is rejected', async () => {
  const found = objectsOf('dev').find((i) => i.origin.includes('kubernetes_namespace_v1.'));
  assert.ok(found, 'dev has no kubernetes_namespace_v1');
  const broken = structuredClone(found.object);
  (broken.metadata as Record<string, unknown>).lables = { a: 'b' };
  await assert.rejects(
    client.apply(broken, { dryRun: true }),
    /metadata\.lables(: field not declared in schema|")/,
  );
});

/**
 * The restore path, which no committed environment switches on: a Cluster that bootstraps from the
 * Barman Cloud plugin's ObjectStore to a point in time, beside the ObjectStore it archives to, both
 * against the real CNPG and plugin CRDs.
 */
function restoringPostgres(): Labelled[] {
  const json = synthConstruct(
    (s) =>
      new CnpgPostgres(s, 'pg', {
        clusterName: 'sensor-pg-restored',
        namespace: 'restore-check',
        tlsIssuer: { kind: 'ClusterIssuer', name: 'platform-ca' },
        roles: [{ name: 'sensor', databases: ['sensor'], consumerNamespace: 'apps' }],
        generatePassword: () => 'pw',
        backup: {
          method: 'barmanCloudPlugin',
          objectStoreName: 'sensor-pg-backups',
          destinationPath: 's3://sensor-platform-prod-backups/postgres',
          credentialsSecret: 'pg-backup-keys',
          retentionPolicy: '30d',
          schedule: '0 0 2 * * *',
        },
        restore: {
          objectStoreName: 'sensor-pg-backups',
          serverName: 'sensor-pg',
          targetTime: '2026-12-01T10:00:00Z',
        },
      }),
  );
  return manifests(json).map((m) => ({ origin: `restore: ${m.kind}`, object: m as unknown as KubeObject }));
}

void test('a restore: the recovering Cluster and its ObjectStore pass strict server-side apply', async () => {
  const items = restoringPostgres();
  const cluster = items.find((i) => i.object.kind === 'Cluster')?.object as
    (KubeObject & { spec: { bootstrap: { recovery?: unknown } } }) | undefined;
  assert.ok(cluster?.spec.bootstrap.recovery, 'the Cluster bootstraps by recovery');
  assert.ok(
    items.some((i) => i.object.kind === 'ObjectStore'),
    'the ObjectStore is there',
  );
  assert.deepEqual(await applyAll(client, items), []);
});

void test('an ObjectStore with a misspelled field is rejected (the plugin CRD is served)', async () => {
  const store = restoringPostgres().find((i) => i.object.kind === 'ObjectStore')!;
  const broken = structuredClone(store.object) as KubeObject & { spec: Record<string, unknown> };
  broken.spec = { ...broken.spec, retentionPolicy: undefined, retention: '30d' };
  delete broken.spec.retentionPolicy;
  const failures = await applyAll(client, [{ origin: store.origin, object: broken }]);
  assert.equal(failures.length, 1, 'ObjectStore with spec.retention was accepted');
  assert.match(failures[0]!.message, /spec\.retention/);
});
