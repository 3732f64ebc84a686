import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { PostgresConnection, TemporalConnection } from '../lib/connections.js';
import { mergeValues, toValuesYaml } from '../lib/helm-values.js';

/** Temporal chart 1.6.0 = server 1.31.2 (temporalio/helm-charts, charts/temporal/Chart.yaml). */
const DEFAULTS = {
  chart: 'temporal',
  repository: 'https://go.temporal.io/helm-charts',
  version: '1.6.0',
  releaseName: 'temporal',
  numHistoryShards: 512,
  replicas: { frontend: 2, history: 3, matching: 2, worker: 1 },
  webReplicas: 1,
  retentionDays: 7,
  maxConns: 20,
  maxIdleConns: 20,
  timeoutSeconds: 900,
};

export interface TemporalServerProps {
  readonly namespace: string;
  /** Postgres behind PgBouncer; must hold credentials for `databaseRole`. */
  readonly database: PostgresConnection;
  /** Role that owns `temporal` and `temporal_visibility`. */
  readonly databaseRole: string;
  /** Temporal namespace created for the pipeline (workers/shared/temporal.ts). */
  readonly temporalNamespace: string;
  /**
   * History shards. Fixed for the life of the cluster: the config layer refuses a change against
   * stacks/config/deployed-shards.json.
   * @default 512
   * @see https://docs.temporal.io/self-hosted-guide/production-checklist#scaling-and-metrics
   */
  readonly numHistoryShards?: number;
  /** Pods per service. @default { frontend: 2, history: 3, matching: 2, worker: 1 } */
  readonly replicas?: {
    readonly frontend: number;
    readonly history: number;
    readonly matching: number;
    readonly worker: number;
  };
  /** Web UI replicas; 0 disables it. @default 1 */
  readonly webReplicas?: number;
  /** Retention of closed workflows, in days. @default 7 */
  readonly retentionDays?: number;
  /** SQL `maxConns` per pod and datastore. @default 20 */
  readonly maxConns?: number;
  /** SQL `maxIdleConns` per pod and datastore. @default 20 */
  readonly maxIdleConns?: number;
  /** @default '1.6.0' */
  readonly version?: string;
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The Temporal server chart on CNPG (via PgBouncer), schema jobs without Helm hooks (Terraform waits
 * on the release instead), the pipeline namespace, the UI and ServiceMonitors.
 *
 * @example
 * const temporal = new TemporalServer(this, 'temporal', { namespace: 'temporal', database: pg.connection,
 *   databaseRole: 'temporal', temporalNamespace: TEMPORAL_NAMESPACE, numHistoryShards: 4096 });
 */
export class TemporalServer extends Construct {
  public readonly connection: TemporalConnection;
  public readonly release: Release;

  constructor(scope: Construct, id: string, props: TemporalServerProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    const creds = p.database.credentials[p.databaseRole];
    if (!creds) {
      throw new Error(
        `'databaseRole' (${JSON.stringify(p.databaseRole)}) must be one of the database's roles (${Object.keys(p.database.credentials).join(', ')})`,
      );
    }
    if (creds.namespace !== p.namespace) {
      throw new Error(
        `'database.credentials.${p.databaseRole}.namespace' (${JSON.stringify(creds.namespace)}) must equal 'namespace' (${JSON.stringify(p.namespace)}): the chart reads the Secret from its own namespace`,
      );
    }
    const sql = (databaseName: string) => ({
      sql: {
        pluginName: 'postgres12',
        databaseName,
        connectAddr: `${p.database.host}:${p.database.port}`,
        connectProtocol: 'tcp',
        user: creds.username,
        existingSecret: creds.secretName,
        secretKey: 'password',
        maxConns: p.maxConns,
        maxIdleConns: p.maxIdleConns,
        maxConnLifetime: '1h',
        // CNPG creates the databases (Database resources); the chart's job only manages the schema.
        createDatabase: false,
        manageSchema: true,
      },
    });
    const service = (replicaCount: number) => ({ replicaCount });
    const values = {
      server: {
        metrics: { serviceMonitor: { enabled: true, interval: '30s' } },
        config: {
          persistence: {
            defaultStore: 'default',
            visibilityStore: 'visibility',
            numHistoryShards: p.numHistoryShards,
            datastores: { default: sql('temporal'), visibility: sql('temporal_visibility') },
          },
          namespaces: {
            create: true,
            useHelmHooks: false,
            namespace: [{ name: p.temporalNamespace, retention: `${p.retentionDays}d` }],
          },
        },
        frontend: service(p.replicas.frontend),
        history: service(p.replicas.history),
        matching: service(p.replicas.matching),
        worker: service(p.replicas.worker),
      },
      web: { enabled: p.webReplicas > 0, replicaCount: Math.max(p.webReplicas, 1) },
      schema: { useHelmHooks: false },
    };
    this.release = new Release(this, 'release', {
      name: p.releaseName,
      chart: p.chart,
      repository: p.repository,
      version: p.version,
      namespace: p.namespace,
      createNamespace: false,
      atomic: true,
      wait: true,
      waitForJobs: true,
      timeout: p.timeoutSeconds,
      values: [toValuesYaml(mergeValues(values, p.values))],
      dependsOn: [...(p.dependsOn ?? [])],
    });
    this.connection = {
      address: `${p.releaseName}-frontend.${p.namespace}.svc:7233`,
      namespace: p.temporalNamespace,
      releaseNamespace: p.namespace,
    };
  }
}
