import assert from 'node:assert/strict';
import { test } from 'node:test';
import { temporalTls } from '../../../workers/lib/temporal-client.js';

const base = { address: 'temporal-frontend.temporal.svc:7233', namespace: 'n', taskQueue: 'q' };

test('temporalTls: plaintext without settings, mutual TLS with CA, client pair and server name', () => {
  assert.equal(temporalTls(base), undefined);
  const ca = Buffer.from('ca');
  const crt = Buffer.from('crt');
  const key = Buffer.from('key');
  assert.deepEqual(
    temporalTls({
      ...base,
      tls: { ca, clientCert: { crt, key }, serverName: 'temporal-frontend.temporal.svc' },
    }),
    {
      serverRootCACertificate: ca,
      clientCertPair: { crt, key },
      serverNameOverride: 'temporal-frontend.temporal.svc',
    },
  );
  // TLS with the system CAs only (a managed Temporal endpoint): TLS on, nothing overridden.
  assert.deepEqual(temporalTls({ ...base, tls: {} }), {});
});
