/**
 * CnpgPostgres's Cluster: instances and their resources, synchronous replication, `hostssl` rules
 * per role, the server certificate, the bootstrap, the managed roles and the backup fields.
 * @see https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/#postgresql-cnpg-io-v1-ClusterSpec
 */
import type { PostgresBackupConfig, PostgresRestoreConfig } from '../../config/types.js';
import { bootstrapFields, clusterBackupFields } from './backup.js';
import { reachable, type RoleSecret } from './roles.js';
import type { KubeObject } from '../../lib/kube-manifest.js';

export interface ClusterSettings {
  readonly clusterName: string;
  readonly namespace: string;
  readonly imageName: string;
  readonly instances: number;
  readonly synchronousStandbys?: number;
  readonly maxConnections: number;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly storageSize: string;
  readonly walStorageSize: string;
  readonly cpu: string;
  readonly memory: string;
  readonly topologyKey: string;
  readonly backup: PostgresBackupConfig;
  readonly restore?: PostgresRestoreConfig;
  readonly barmanPluginName: string;
}

export function clusterManifest(
  p: ClusterSettings,
  /** The roles with their Secrets; the first owns the bootstrapped database. */
  roles: readonly RoleSecret[],
  serverCertSecret: string,
): KubeObject {
  const owner = roles[0]!;
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: p.clusterName, namespace: p.namespace },
    spec: {
      imageName: p.imageName,
      instances: p.instances,
      primaryUpdateStrategy: 'unsupervised',
      postgresql: {
        parameters: { max_connections: String(p.maxConnections), ...p.parameters },
        ...(p.synchronousStandbys
          ? {
              synchronous: {
                method: 'any',
                number: p.synchronousStandbys,
                dataDurability: 'required',
                failoverQuorum: true,
              },
            }
          : {}),
        // After CNPG's fixed rules (replication and pooler certificates, local socket): each role
        // only to its own databases and only over TLS; then reject, ahead of CNPG's default rule.
        pg_hba: [
          ...roles.flatMap(({ role }) =>
            reachable(role).map((db) => `hostssl ${db} ${role.name} all scram-sha-256`),
          ),
          'host all all all reject',
        ],
      },
      certificates: { serverTLSSecret: serverCertSecret, serverCASecret: serverCertSecret },
      ...bootstrapFields(
        p.restore,
        { database: owner.role.databases[0]!, role: owner.role.name, secretName: owner.secretName },
        p.barmanPluginName,
      ),
      managed: {
        roles: roles.slice(1).map(({ role, secretName }) => ({
          name: role.name,
          ensure: 'present',
          login: true,
          passwordSecret: { name: secretName },
        })),
      },
      storage: { size: p.storageSize },
      walStorage: { size: p.walStorageSize },
      resources: { requests: { cpu: p.cpu, memory: p.memory }, limits: { memory: p.memory } },
      affinity: {
        enablePodAntiAffinity: true,
        podAntiAffinityType: 'required',
        topologyKey: p.topologyKey,
      },
      // We write our own PodMonitor (observability layer); the built-in one is deprecated.
      monitoring: { enablePodMonitor: false },
      ...clusterBackupFields(p.backup, p.barmanPluginName),
    },
  };
}

/** A Database resource per owned database, kept when the resource goes. */
export function databaseManifest(
  clusterName: string,
  namespace: string,
  db: string,
  owner: string,
): KubeObject {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: { name: `${clusterName}-${db.replace(/_/g, '-')}`, namespace },
    spec: {
      name: db,
      owner,
      cluster: { name: clusterName },
      ensure: 'present',
      databaseReclaimPolicy: 'retain',
    },
  };
}
