/** CnpgPostgres's PgBouncer: the Pooler every client reaches the cluster through, TLS only. */
import { reachable, type PostgresRoleSpec } from './roles.js';
import type { KubeObject } from '../../lib/kube-manifest.js';

export interface PoolerSettings {
  readonly instances: number;
  readonly defaultPoolSize: number;
  readonly maxClientConn: number;
  readonly poolMode: 'transaction' | 'session';
  readonly imageName: string;
}

export function poolerManifest(p: {
  readonly name: string;
  readonly namespace: string;
  readonly clusterName: string;
  readonly roles: readonly PostgresRoleSpec[];
  readonly pooler: PoolerSettings;
}): KubeObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Pooler',
    metadata: { name: p.name, namespace: p.namespace },
    spec: {
      cluster: { name: p.clusterName },
      instances: p.pooler.instances,
      type: 'rw',
      template: { spec: { containers: [{ name: 'pgbouncer', image: p.pooler.imageName }] } },
      pgbouncer: {
        poolMode: p.pooler.poolMode,
        // PgBouncer's own client rules: TLS only, each role to its own databases (PgBouncer's hba
        // format takes one database per line).
        pg_hba: [
          ...p.roles.flatMap((role) =>
            reachable(role).flatMap((db) => [
              `hostssl ${db} ${role.name} 0.0.0.0/0 scram-sha-256`,
              `hostssl ${db} ${role.name} ::/0 scram-sha-256`,
            ]),
          ),
          'host all all 0.0.0.0/0 reject',
          'host all all ::/0 reject',
        ],
        parameters: {
          // The Pooler presents the cluster's server certificate; plaintext clients are refused.
          client_tls_sslmode: 'require',
          default_pool_size: String(p.pooler.defaultPoolSize),
          max_client_conn: String(p.pooler.maxClientConn),
          // Protocol-level prepared statements survive transaction pooling (PgBouncer >= 1.21).
          max_prepared_statements: '200',
        },
      },
    },
  };
}
