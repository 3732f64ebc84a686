/**
 * createKafka's configuration verifies the brokers with the CA file the chart mounts (KAFKA_SSL_CA_PATH): against a
 * real TLS endpoint whose certificate a private CA signed, the handshake completes with that CA and
 * is refused with the system CAs alone. The endpoint speaks no Kafka; only the handshake is observed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServer, type Server } from 'node:tls';
import type { KafkaSettings } from '../../../workers/config.js';
import { Kafka } from 'kafkajs';
import { kafkaConfig } from '../../../workers/lib/kafka-client.js';
import type { Logger } from '../../../workers/lib/logger.js';
import { createTestPki, type Pki } from '../../../local/lib/pki.js';

let pki: Pki;
let server: Server;
let port: number;
const events: ('handshake' | 'refused')[] = [];
const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

before(async () => {
  pki = createTestPki('kafka-tls-');
  pki.sign('tls', 'localhost', 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n');
  server = createServer({ key: pki.pem('tls.key'), cert: pki.pem('tls.crt') }, (socket) => {
    events.push('handshake');
    socket.destroy();
  });
  server.on('tlsClientError', () => events.push('refused'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(() => {
  server?.close();
  pki?.remove();
});

async function firstTlsOutcome(settings: KafkaSettings): Promise<'handshake' | 'refused'> {
  const seen = events.length;
  // One attempt: the outcome of the first handshake is all this test needs.
  const admin = new Kafka({ ...kafkaConfig(settings, quiet), retry: { retries: 0 } }).admin();
  const connecting = admin.connect().catch(() => undefined);
  const deadline = Date.now() + 15_000;
  while (events.length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await admin.disconnect().catch(() => undefined);
  await connecting;
  assert.ok(events.length > seen, 'no TLS connection reached the endpoint');
  return events[seen]!;
}

void test('with KAFKA_SSL_CA_PATH the broker certificate from the private CA is accepted; without it, refused', async () => {
  const base = {
    brokers: [`localhost:${port}`],
    clientId: 'tls-test',
    ssl: true,
    compression: 'none' as const,
  };
  assert.equal(await firstTlsOutcome({ ...base, sslCa: pki.pem('ca.crt').toString('utf8') }), 'handshake');
  assert.equal(await firstTlsOutcome(base), 'refused');
});
