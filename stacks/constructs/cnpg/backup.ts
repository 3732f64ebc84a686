/**
 * CnpgPostgres's backups and restores: the Barman Cloud plugin's ObjectStore, the Cluster fields that
 * archive WAL or take volume snapshots, the daily ScheduledBackup, and a bootstrap from a backup.
 * @see https://cloudnative-pg.io/documentation/current/backup/
 */
import type { PostgresBackupConfig, PostgresRestoreConfig } from '../../config/types.js';
import type { KubeObject } from '../../lib/kube-manifest.js';

/** The externalClusters entry a restore reads from. */
export const RESTORE_SOURCE = 'origin';

/**
 * The ObjectStore's credentials: an S3 key pair from a Secret (keys ACCESS_KEY_ID, ACCESS_SECRET_KEY),
 * or the pods' cloud identity for the store the path names.
 */
function objectStoreCredentials(
  destinationPath: string,
  secret: string | undefined,
): Record<string, unknown> {
  if (destinationPath.startsWith('gs://')) return { googleCredentials: { gkeEnvironment: true } };
  if (destinationPath.startsWith('https://')) return { azureCredentials: { inheritFromAzureAD: true } };
  return secret
    ? {
        s3Credentials: {
          accessKeyId: { name: secret, key: 'ACCESS_KEY_ID' },
          secretAccessKey: { name: secret, key: 'ACCESS_SECRET_KEY' },
        },
      }
    : { s3Credentials: { inheritFromIAMRole: true } };
}

/** The Barman Cloud plugin's ObjectStore the cluster archives to, when that is the method. */
export function objectStoreManifest(backup: PostgresBackupConfig, namespace: string): KubeObject | undefined {
  if (backup.method !== 'barmanCloudPlugin') return undefined;
  return {
    apiVersion: 'barmancloud.cnpg.io/v1',
    kind: 'ObjectStore',
    metadata: { name: backup.objectStoreName, namespace },
    spec: {
      retentionPolicy: backup.retentionPolicy,
      configuration: {
        destinationPath: backup.destinationPath,
        ...(backup.endpointUrl ? { endpointURL: backup.endpointUrl } : {}),
        ...objectStoreCredentials(backup.destinationPath, backup.credentialsSecret),
        wal: { compression: 'zstd' },
        data: { compression: 'bzip2' },
      },
    },
  };
}

/** The Cluster's backup fields: volume snapshots, or the plugin as WAL archiver. */
export function clusterBackupFields(
  backup: PostgresBackupConfig,
  pluginName: string,
): Record<string, unknown> {
  if (backup.method === 'volumeSnapshot')
    return { backup: { volumeSnapshot: { className: backup.snapshotClassName, online: true } } };
  if (backup.method === 'barmanCloudPlugin')
    return {
      plugins: [
        { name: pluginName, isWALArchiver: true, parameters: { barmanObjectName: backup.objectStoreName } },
      ],
    };
  return {};
}

/** The daily ScheduledBackup, by the configured method; none without backups. */
export function scheduledBackupManifest(
  backup: PostgresBackupConfig,
  clusterName: string,
  namespace: string,
  pluginName: string,
): KubeObject | undefined {
  if (backup.method === 'none') return undefined;
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: { name: `${clusterName}-daily`, namespace },
    spec: {
      schedule: backup.schedule,
      cluster: { name: clusterName },
      backupOwnerReference: 'self',
      ...(backup.method === 'volumeSnapshot'
        ? { method: 'volumeSnapshot' }
        : { method: 'plugin', pluginConfiguration: { name: pluginName } }),
    },
  };
}

/**
 * How the Cluster starts: an empty database (initdb), or a recovery from the ObjectStore to a point
 * in time, with the same database, owner and password Secret either way.
 */
export function bootstrapFields(
  restore: PostgresRestoreConfig | undefined,
  owner: { readonly database: string; readonly role: string; readonly secretName: string },
  pluginName: string,
): Record<string, unknown> {
  if (!restore)
    return {
      bootstrap: {
        initdb: { database: owner.database, owner: owner.role, secret: { name: owner.secretName } },
      },
    };
  return {
    bootstrap: {
      // The same application database, owner and password Secret as initdb would make.
      recovery: {
        source: RESTORE_SOURCE,
        database: owner.database,
        owner: owner.role,
        secret: { name: owner.secretName },
        ...(restore.targetTime ? { recoveryTarget: { targetTime: restore.targetTime } } : {}),
      },
    },
    externalClusters: [
      {
        name: RESTORE_SOURCE,
        plugin: {
          name: pluginName,
          parameters: { barmanObjectName: restore.objectStoreName, serverName: restore.serverName },
        },
      },
    ],
  };
}
