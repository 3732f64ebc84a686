import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { assertPortFree } from '../../local/lib/proc.js';

test('a port in use is reported with the variable that moves it', async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  try {
    await assert.rejects(
      assertPortFree(port, 'STACK_KAFKA_PORT'),
      new RegExp(`port ${port} is already in use.*set STACK_KAFKA_PORT`),
    );
  } finally {
    server.close();
  }
});
