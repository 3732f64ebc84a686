/** Temporal client connection with the pipeline's data converter (payload codec). */
import { Client, Connection, type TLSConfig } from '@temporalio/client';
import type { TemporalSettings } from '../config.js';
import { dataConverter } from './payload-codec.js';

export async function connectTemporal(
  settings: TemporalSettings,
): Promise<{ connection: Connection; client: Client }> {
  const connection = await Connection.connect({ address: settings.address, tls: temporalTls(settings) });
  const client = new Client({ connection, namespace: settings.namespace, dataConverter });
  return { connection, client };
}

/** The SDK's TLS options from validated settings (used by the client and the worker's native connection). */
export function temporalTls(settings: TemporalSettings): TLSConfig | undefined {
  const tls = settings.tls;
  if (!tls) return undefined;
  return {
    ...(tls.ca ? { serverRootCACertificate: tls.ca } : {}),
    ...(tls.clientCert ? { clientCertPair: { crt: tls.clientCert.crt, key: tls.clientCert.key } } : {}),
    ...(tls.serverName ? { serverNameOverride: tls.serverName } : {}),
  };
}
