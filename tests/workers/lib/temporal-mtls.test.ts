/**
 * The Temporal client connects with the settings the chart's TEMPORAL_TLS_* variables produce:
 * against a real TLS endpoint that requires a client certificate from a private CA (as the frontend
 * does with `requireClientAuth`), the client presents its certificate and verifies the server by
 * the configured name; without the CA it refuses the server. The endpoint speaks no gRPC; only the
 * handshake is observed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { Connection } from '@temporalio/client';
import type { TemporalSettings } from '../../../workers/config.js';
import { temporalTls } from '../../../workers/lib/temporal-client.js';
import { createTestPki, type Pki } from '../../../local/lib/pki.js';

const SERVER_NAME = 'temporal-frontend.temporal.svc';
let pki: Pki;
let server: Server;
let port: number;
const events: string[] = [];

before(async () => {
  pki = createTestPki('temporal-mtls-');
  pki.sign('server', SERVER_NAME, `subjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth\n`);
  pki.sign('client', 'sensor-worker', 'extendedKeyUsage=clientAuth\n');
  server = createServer(
    {
      key: pki.pem('server.key'),
      cert: pki.pem('server.crt'),
      ca: pki.pem('ca.crt'),
      requestCert: true,
      rejectUnauthorized: true,
      ALPNProtocols: ['h2'],
    },
    (socket: TLSSocket) => {
      events.push(`handshake:${String(socket.getPeerCertificate().subject?.CN)}`);
      socket.destroy();
    },
  );
  server.on('tlsClientError', (err: Error) => events.push(`refused:${err.message}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

after(() => {
  server?.close();
  pki?.remove();
});

async function firstOutcome(settings: TemporalSettings): Promise<string> {
  const seen = events.length;
  const connecting = Connection.connect({
    address: settings.address,
    tls: temporalTls(settings),
    connectTimeout: 3000,
  })
    .then((c) => c.close())
    .catch(() => undefined);
  const deadline = Date.now() + 15_000;
  while (events.length === seen && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await connecting;
  assert.ok(events.length > seen, 'no TLS connection reached the endpoint');
  return events[seen]!;
}

const base = { namespace: 'sensor-pipeline', taskQueue: 'q' };

void test('mutual TLS: the client presents its certificate and verifies the server by the configured name', async () => {
  const outcome = await firstOutcome({
    ...base,
    address: `127.0.0.1:${port}`,
    tls: {
      ca: pki.pem('ca.crt'),
      clientCert: { crt: pki.pem('client.crt'), key: pki.pem('client.key') },
      serverName: SERVER_NAME,
    },
  });
  assert.equal(outcome, 'handshake:sensor-worker');
});

void test('mutual TLS: without a client certificate the server refuses the connection', async () => {
  const outcome = await firstOutcome({
    ...base,
    address: `127.0.0.1:${port}`,
    tls: { ca: pki.pem('ca.crt'), serverName: SERVER_NAME },
  });
  assert.match(outcome, /^refused:/);
});
