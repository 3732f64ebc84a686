import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KafkaUser } from '../../../stacks/constructs/kafka-user.js';
import type { KafkaConnection } from '../../../stacks/lib/connections.js';
import { manifests, only, synth } from '../helpers.js';

const kafka: KafkaConnection = {
  clusterName: 'k',
  namespace: 'kafka',
  bootstrapServers: 'b:9092',
  saslMechanism: 'scram-sha-512',
  tls: true,
  userNamespace: 'apps',
};

void test('KafkaUser: SCRAM-SHA-512, simple authorization, literal ACLs, in the user namespace', () => {
  let user: KafkaUser | undefined;
  const json = synth(
    (s) =>
      (user = new KafkaUser(s, 'u', {
        kafka,
        userName: 'bridge',
        acls: [
          { resource: { type: 'topic', name: 'sensor-data' }, operations: ['Read', 'Describe'] },
          { resource: { type: 'group', name: 'g' }, operations: ['Read'] },
        ],
      })),
  );
  const m = only(manifests(json, 'KafkaUser'), 'KafkaUser');
  assert.equal(m.metadata.namespace, 'apps');
  assert.equal(m.metadata.labels?.['strimzi.io/cluster'], 'k');
  assert.deepEqual(m.spec.authentication, { type: 'scram-sha-512' });
  assert.deepEqual(m.spec.authorization.acls[0], {
    type: 'allow',
    resource: { type: 'topic', name: 'sensor-data', patternType: 'literal' },
    operations: ['Read', 'Describe'],
  });
  assert.deepEqual(user!.credentials, {
    username: 'bridge',
    secretName: 'bridge',
    passwordKey: 'password',
    namespace: 'apps',
  });
});

void test('validation: no ACLs, All, missing resource name', () => {
  assert.throws(
    () => synth((s) => new KafkaUser(s, 'u', { kafka, userName: 'x', acls: [] })),
    /'acls' of KafkaUser 'x' \(\[\]\) must grant at least one operation/,
  );
  assert.throws(
    () =>
      synth(
        (s) =>
          new KafkaUser(s, 'u', {
            kafka,
            userName: 'x',
            acls: [{ resource: { type: 'topic', name: 't' }, operations: ['All'] }],
          }),
      ),
    /'acls\[0\]\.operations' of KafkaUser 'x' \(\["All"\]\) must not contain 'All'/,
  );
  assert.throws(
    () =>
      synth(
        (s) =>
          new KafkaUser(s, 'u', {
            kafka,
            userName: 'x',
            acls: [{ resource: { type: 'group' }, operations: ['Read'] }],
          }),
      ),
    /'acls\[0\]\.resource\.name' of KafkaUser 'x' \(undefined\) must be set for type 'group'/,
  );
});
