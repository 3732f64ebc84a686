import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1/index.js';
import { Fn, TerraformLocal, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { PostgresBackupConfig, PostgresRestoreConfig } from '../config/types.js';
import type { CertificateIssuer, PostgresConnection, PostgresCredentials } from '../lib/connections.js';
import { MANAGED_LABELS, kubeManifest } from '../lib/kube-manifest.js';
import { TlsCertificate } from './tls-certificate.js';

/** Every database a role may log in to: the ones it owns, then the ones it only connects to. */
function reachable(role: PostgresRoleSpec): string[] {
  return [...role.databases, ...(role.connects ?? [])];
}

/**
 * Revision of the write-only Secret data: the provider sends `data_wo` when it changes. Rotation
 * replaces the Secrets instead (docs/operations.md#rotating-secrets), so this stays 1.
 */
const SECRET_REVISION = 1;

const DEFAULTS = {
  /** CloudNativePG 1.30.0's default operand image (pkg/versions), pinned here instead of implied. */
  imageName: 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie',
  instances: 3,
  storageSize: '100Gi',
  walStorageSize: '20Gi',
  maxConnections: 500,
  cpu: '2',
  memory: '8Gi',
  topologyKey: 'topology.kubernetes.io/zone',
  pooler: {
    instances: 2,
    defaultPoolSize: 40,
    maxClientConn: 1000,
    poolMode: 'transaction' as const,
    /** CloudNativePG 1.30.0's default PgBouncer image. */
    imageName: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1',
  },
  backup: { method: 'none' } as PostgresBackupConfig,
  /** Plugin name of the Barman Cloud CNPG-I plugin. */
  barmanPluginName: 'barman-cloud.cloudnative-pg.io',
};

/**
 * A login role, the databases it owns (or only connects to), and the namespace that receives a copy
 * of its credentials.
 */
export interface PostgresRoleSpec {
  readonly name: string;
  readonly databases: readonly string[];
  /**
   * Databases the role may connect to without owning them: its rights there are what the owner
   * grants (a runtime role that the owner's migrations give DML only). @default []
   */
  readonly connects?: readonly string[];
  /** Namespace of the consuming workload; a Secret `<cluster>-<role>` is written there. */
  readonly consumerNamespace: string;
}

export interface CnpgPostgresProps {
  readonly clusterName: string;
  readonly namespace: string;
  /**
   * Signs the server certificate (Postgres and PgBouncer present the same one), so clients verify it
   * with the platform CA at `sslmode=verify-full`.
   * @see https://cloudnative-pg.io/documentation/current/certificates/#user-provided-certificates-mode
   */
  readonly tlsIssuer: CertificateIssuer;
  /**
   * Roles and their databases. The first role's first database is bootstrapped with initdb; every
   * database also gets a Database resource.
   */
  readonly roles: readonly PostgresRoleSpec[];
  /**
   * Postgres image (`spec.imageName`). Left to the operator, an operator upgrade would roll every
   * instance onto its new default; pinned, that roll is a reviewed change of this value.
   * @default 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie' (CloudNativePG 1.30.0's default)
   * @see https://cloudnative-pg.io/documentation/current/postgres_upgrades/
   */
  readonly imageName?: string;
  /** @default 3 */
  readonly instances?: number;
  /**
   * Standbys that confirm each commit (quorum: any of them), with durability required: commits wait
   * rather than run unreplicated, and a failover promotes only a standby holding every commit.
   * @default 0 (asynchronous)
   */
  readonly synchronousStandbys?: number;
  /** @default '100Gi' */
  readonly storageSize?: string;
  /** @default '20Gi' */
  readonly walStorageSize?: string;
  /** Postgres `max_connections`. @default 500 */
  readonly maxConnections?: number;
  /** @default '2' */
  readonly cpu?: string;
  /** @default '8Gi' */
  readonly memory?: string;
  /**
   * PgBouncer sizing and image (pinned for the same reason as `imageName`).
   * @default { instances: 2, defaultPoolSize: 40, maxClientConn: 1000, poolMode: 'transaction',
   *   imageName: 'ghcr.io/cloudnative-pg/pgbouncer:1.25.1' }
   * @see https://cloudnative-pg.io/documentation/current/connection_pooling/
   */
  readonly pooler?: {
    readonly instances: number;
    readonly defaultPoolSize: number;
    readonly maxClientConn: number;
    readonly poolMode?: 'session' | 'transaction';
    readonly imageName?: string;
  };
  /**
   * Backups: CSI volume snapshots or the Barman Cloud plugin (an ObjectStore of that name must exist).
   * @default { method: 'none' }
   * @see https://cloudnative-pg.io/documentation/current/backup/
   */
  readonly backup?: PostgresBackupConfig;
  /**
   * Create the cluster from a backup in an ObjectStore (the Barman Cloud plugin) instead of an empty
   * database, optionally to a point in time. @default undefined (initdb)
   * @see https://cloudnative-pg.io/plugin-barman-cloud/docs/usage/#restoring-a-cluster
   */
  readonly restore?: PostgresRestoreConfig;
  /**
   * Produces the initial password of each role. Written once, as a write-only attribute: a later
   * plan never rotates it, and it is kept in neither the plan nor the state
   * (docs/decisions/0112-secrets-out-of-terraform-state.md).
   * @default Terraform's `uuid()`, evaluated at apply: the value exists only in the cluster
   */
  readonly generatePassword?: () => string;
  /** Extra `postgresql.parameters`, merged last. @default {} */
  readonly parameters?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A CloudNativePG Cluster with managed roles, Database resources, a PgBouncer Pooler and optional
 * scheduled backups. TLS only: a server certificate from the platform CA, `hostssl` rules that let
 * each role reach only its own databases, everything else rejected, and PgBouncer refusing clients
 * without TLS. Role passwords are generated once by Terraform (`uuid()`) and written as write-only
 * Secret data, so that no password is in code, in the synthesized configuration, in a plan or in
 * state; the Secret is written into each consumer's namespace from the same value.
 *
 * @example
 * const pg = new CnpgPostgres(this, 'pg', { clusterName: 'sensor-pg', namespace: 'postgres', tlsIssuer: ca.issuer,
 *   roles: [{ name: 'temporal', databases: ['temporal', 'temporal_visibility'], consumerNamespace: 'temporal' }] });
 * new TemporalServer(this, 'temporal', { database: pg.connection, ... });
 */
export class CnpgPostgres extends Construct {
  public readonly connection: PostgresConnection;
  /** The Cluster resource, for dependsOn. */
  public readonly cluster: ITerraformDependable;
  /** Cluster (waited for Ready), Databases and Pooler: depend on these before connecting. */
  public readonly ready: ITerraformDependable[] = [];

  constructor(scope: Construct, id: string, props: CnpgPostgresProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props, pooler: { ...DEFAULTS.pooler, ...props.pooler } };
    const first = p.roles[0];
    if (!first || !first.databases[0]) {
      throw new Error(
        `'roles' (${JSON.stringify(p.roles)}) must contain at least one role with one database`,
      );
    }
    const seen = new Set<string>();
    for (const [i, role] of p.roles.entries()) {
      for (const db of role.databases) {
        if (seen.has(db))
          throw new Error(`'roles[${i}].databases' names '${db}' twice: a database has one owner`);
        seen.add(db);
      }
    }
    const dependsOn = [...(p.dependsOn ?? [])];
    const generatePassword = p.generatePassword ?? (() => Fn.uuid());
    const poolerName = `${p.clusterName}-pooler-rw`;
    const host = `${poolerName}.${p.namespace}.svc`;
    const port = 5432;
    // Every name a client may dial: the operator's services and the Pooler's.
    const serviceHosts = [`${p.clusterName}-rw`, `${p.clusterName}-r`, `${p.clusterName}-ro`, poolerName];
    const serverCert = new TlsCertificate(this, 'server-certificate', {
      issuer: p.tlsIssuer,
      namespace: p.namespace,
      name: `${p.clusterName}-server-tls`,
      usage: 'server',
      dnsNames: serviceHosts.flatMap((h) => [h, `${h}.${p.namespace}`, `${h}.${p.namespace}.svc`]),
      // CNPG reloads a renewed certificate without a restart when its Secret carries this label.
      secretLabels: { 'cnpg.io/reload': 'true' },
      dependsOn,
    });
    const sslQuery = 'sslmode=verify-full';

    const credentials: Record<string, PostgresCredentials> = {};
    const sources = p.roles.map((role) => {
      const secretName = `${p.clusterName}-${role.name.replace(/_/g, '-')}`;
      // One value per role, evaluated once per apply: the source and every copy get the same one.
      const password = new TerraformLocal(this, `password-${role.name}`, generatePassword()).asString;
      const source = new SecretV1(this, `secret-${role.name}`, {
        metadata: {
          name: secretName,
          namespace: p.namespace,
          labels: { ...MANAGED_LABELS, 'cnpg.io/reload': 'true' },
        },
        type: 'kubernetes.io/basic-auth',
        // Write-only: sent at creation (and when the revision changes), never read back or stored.
        dataWo: { username: role.name, password },
        dataWoRevision: SECRET_REVISION,
        dependsOn,
      });
      const database = reachable(role)[0] ?? role.name;
      new SecretV1(this, `consumer-secret-${role.name}`, {
        metadata: { name: secretName, namespace: role.consumerNamespace, labels: { ...MANAGED_LABELS } },
        type: 'Opaque',
        dataWo: {
          username: role.name,
          password,
          host,
          port: String(port),
          dbname: database,
          sslmode: 'verify-full',
          // The consumer appends `&sslrootcert=<its mount of ca.crt>`: only it knows the path.
          uri: `postgresql://${role.name}:${password}@${host}:${port}/${database}?${sslQuery}`,
        },
        dataWoRevision: SECRET_REVISION,
      });
      credentials[role.name] = {
        username: role.name,
        database,
        secretName,
        namespace: role.consumerNamespace,
      };
      return { role, secretName, source };
    });

    const backup = p.backup;
    const objectStore =
      backup.method === 'barmanCloudPlugin'
        ? [
            kubeManifest(this, 'object-store', {
              apiVersion: 'barmancloud.cnpg.io/v1',
              kind: 'ObjectStore',
              metadata: { name: backup.objectStoreName, namespace: p.namespace },
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
            }),
          ]
        : [];
    const cluster = kubeManifest(
      this,
      'cluster',
      {
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
              ...p.roles.flatMap((role) =>
                reachable(role).map((db) => `hostssl ${db} ${role.name} all scram-sha-256`),
              ),
              'host all all all reject',
            ],
          },
          certificates: {
            serverTLSSecret: serverCert.secret.secretName,
            serverCASecret: serverCert.secret.secretName,
          },
          bootstrap: p.restore
            ? {
                // The same application database, owner and password Secret as initdb would make.
                recovery: {
                  source: RESTORE_SOURCE,
                  database: first.databases[0],
                  owner: first.name,
                  secret: { name: sources[0]?.secretName ?? '' },
                  ...(p.restore.targetTime ? { recoveryTarget: { targetTime: p.restore.targetTime } } : {}),
                },
              }
            : {
                initdb: {
                  database: first.databases[0],
                  owner: first.name,
                  secret: { name: sources[0]?.secretName ?? '' },
                },
              },
          ...(p.restore
            ? {
                externalClusters: [
                  {
                    name: RESTORE_SOURCE,
                    plugin: {
                      name: p.barmanPluginName,
                      parameters: {
                        barmanObjectName: p.restore.objectStoreName,
                        serverName: p.restore.serverName,
                      },
                    },
                  },
                ],
              }
            : {}),
          managed: {
            roles: sources.slice(1).map(({ role, secretName }) => ({
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
          ...(backup.method === 'volumeSnapshot'
            ? { backup: { volumeSnapshot: { className: backup.snapshotClassName, online: true } } }
            : {}),
          ...(backup.method === 'barmanCloudPlugin'
            ? {
                plugins: [
                  {
                    name: p.barmanPluginName,
                    isWALArchiver: true,
                    parameters: { barmanObjectName: backup.objectStoreName },
                  },
                ],
              }
            : {}),
        },
      },
      [...dependsOn, ...sources.map((s) => s.source), serverCert.resource, ...objectStore],
      { type: 'Ready', status: 'True' },
    );
    this.cluster = cluster;
    this.ready.push(cluster);

    for (const { role } of sources) {
      for (const db of role.databases) {
        const database = kubeManifest(
          this,
          `database-${db}`,
          {
            apiVersion: 'postgresql.cnpg.io/v1',
            kind: 'Database',
            metadata: { name: `${p.clusterName}-${db.replace(/_/g, '-')}`, namespace: p.namespace },
            spec: {
              name: db,
              owner: role.name,
              cluster: { name: p.clusterName },
              ensure: 'present',
              databaseReclaimPolicy: 'retain',
            },
          },
          [cluster],
        );
        this.ready.push(database);
      }
    }

    const pooler = kubeManifest(
      this,
      'pooler',
      {
        apiVersion: 'postgresql.cnpg.io/v1',
        kind: 'Pooler',
        metadata: { name: poolerName, namespace: p.namespace },
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
      },
      [cluster],
    );
    this.ready.push(pooler);

    if (backup.method !== 'none') {
      kubeManifest(
        this,
        'scheduled-backup',
        {
          apiVersion: 'postgresql.cnpg.io/v1',
          kind: 'ScheduledBackup',
          metadata: { name: `${p.clusterName}-daily`, namespace: p.namespace },
          spec: {
            schedule: backup.schedule,
            cluster: { name: p.clusterName },
            backupOwnerReference: 'self',
            ...(backup.method === 'volumeSnapshot'
              ? { method: 'volumeSnapshot' }
              : { method: 'plugin', pluginConfiguration: { name: p.barmanPluginName } }),
          },
        },
        [cluster],
      );
    }

    this.connection = {
      clusterName: p.clusterName,
      namespace: p.namespace,
      poolerName,
      host,
      port,
      credentials,
      sslMode: 'verify-full',
    };
  }
}

/** The externalClusters entry a restore reads from. */
const RESTORE_SOURCE = 'origin';

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
