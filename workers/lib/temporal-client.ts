/** Temporal client connection with the pipeline's data converter (payload codec). */
import { Client, Connection } from '@temporalio/client';
import type { TemporalSettings } from '../config.js';
import { dataConverter } from './payload-codec.js';

export async function connectTemporal(
  settings: TemporalSettings,
): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address: settings.address });
  const client = new Client({ connection, namespace: settings.namespace, dataConverter });
  return { connection, client };
}
