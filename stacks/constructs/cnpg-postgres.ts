import { Fn, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { PostgresBackupConfig, PostgresRestoreConfig } from '../config/types.js';
import type { CertificateIssuer, PostgresConnection } from '../lib/connections.js';
import { kubeManifest } from '../lib/kube-manifest.js';
import { objectStoreManifest, scheduledBackupManifest } from './cnpg/backup.js';
import { clusterManifest, databaseManifest } from './cnpg/cluster.js';
import { poolerManifest } from './cnpg/pooler.js';
import { checkRoles, roleSecrets, type PostgresRoleSpec } from './cnpg/roles.js';
import { TlsCertificate } from './tls-certificate.js';

export type { PostgresRoleSpec };

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
    checkRoles(p.roles);
    const dependsOn = [...(p.dependsOn ?? [])];
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

    const { sources, credentials } = roleSecrets(this, {
      clusterName: p.clusterName,
      namespace: p.namespace,
      roles: p.roles,
      generatePassword: p.generatePassword ?? (() => Fn.uuid()),
      host,
      port,
      dependsOn,
    });

    const store = objectStoreManifest(p.backup, p.namespace);
    const objectStore = store ? [kubeManifest(this, 'object-store', store)] : [];
    const cluster = kubeManifest(
      this,
      'cluster',
      clusterManifest(p, sources, serverCert.secret.secretName),
      [...dependsOn, ...sources.map((s) => s.source), serverCert.resource, ...objectStore],
      { type: 'Ready', status: 'True' },
    );
    this.cluster = cluster;
    this.ready.push(cluster);

    for (const { role } of sources) {
      for (const db of role.databases) {
        this.ready.push(
          kubeManifest(this, `database-${db}`, databaseManifest(p.clusterName, p.namespace, db, role.name), [
            cluster,
          ]),
        );
      }
    }

    const pooler = kubeManifest(
      this,
      'pooler',
      poolerManifest({
        name: poolerName,
        namespace: p.namespace,
        clusterName: p.clusterName,
        roles: p.roles,
        pooler: p.pooler,
      }),
      [cluster],
    );
    this.ready.push(pooler);

    const scheduled = scheduledBackupManifest(p.backup, p.clusterName, p.namespace, p.barmanPluginName);
    if (scheduled) kubeManifest(this, 'scheduled-backup', scheduled, [cluster]);

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
