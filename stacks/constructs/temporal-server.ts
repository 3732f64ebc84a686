import { Release } from '@cdktf/provider-helm/lib/release/index.js';
import { ConfigMapV1 } from '@cdktf/provider-kubernetes/lib/config-map-v1/index.js';
import { ServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/service-account-v1/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { TemporalService, TemporalWebAuthConfig } from '../config/types.js';
import type { CertificateIssuer, PostgresConnection, TemporalConnection } from '../lib/connections.js';
import { mergeValues, toValuesYaml } from '../lib/helm-values.js';
import { MANAGED_LABELS } from '../lib/kube-manifest.js';
import { TEMPORAL_UI_VERSION } from '../lib/operator-pins.js';
import {
  temporalAuthorizationPolicy,
  TEMPORAL_AUTHORIZATION_POLICY_ENV,
} from '../lib/temporal-authorization.js';
import { TlsCertificate } from './tls-certificate.js';

/** Temporal chart 1.6.0 = server 1.31.2 (temporalio/helm-charts, charts/temporal/Chart.yaml). */
const DEFAULTS = {
  chart: 'temporal',
  repository: 'https://go.temporal.io/helm-charts',
  version: '1.6.0',
  releaseName: 'temporal',
  numHistoryShards: 512,
  replicas: { frontend: 2, history: 3, matching: 2, worker: 1 },
  resources: {
    frontend: { cpu: '1', memory: '2Gi' },
    history: { cpu: '1', memory: '2Gi' },
    matching: { cpu: '1', memory: '2Gi' },
    worker: { cpu: '500m', memory: '1Gi' },
  },
  webReplicas: 1,
  retentionDays: 7,
  maxConns: 20,
  maxIdleConns: 20,
  timeoutSeconds: 900,
  /** Where the platform CA (ca.crt) is mounted in the server and schema-job containers. */
  caMountPath: '/etc/temporal/tls/platform-ca',
};

/** Pod Security `restricted` for every pod the chart renders (server, web, schema and namespace jobs). */
const RESTRICTED_POD = {
  runAsNonRoot: true,
  runAsUser: 1000,
  runAsGroup: 1000,
  fsGroup: 1000,
  seccompProfile: { type: 'RuntimeDefault' },
};
/** Where the server pods read the authorization policy. */
const AUTHORIZATION_MOUNT_PATH = '/etc/temporal/authorization';
const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ['ALL'] },
};

export interface TemporalServerProps {
  readonly namespace: string;
  /**
   * Signs the frontend and internode certificates (mutual TLS on both) and the pipeline's client
   * certificates, so one CA is trusted end to end.
   * @see https://docs.temporal.io/self-hosted-guide/security#encryption-in-transit-with-mtls
   */
  readonly tlsIssuer: CertificateIssuer;
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
  /**
   * Requests per pod of each service; memory is also the limit. CPU is not limited: CFS throttling
   * stalls RPCs and shard ownership renewals.
   * @default frontend, history, matching { cpu: '1', memory: '2Gi' }; worker { cpu: '500m', memory: '1Gi' }
   */
  readonly resources?: Readonly<Record<TemporalService, { readonly cpu: string; readonly memory: string }>>;
  /** Web UI replicas; 0 disables it. @default 1 */
  readonly webReplicas?: number;
  /**
   * Let the Web UI signal, cancel, terminate and reset workflows. @default false: the UI server
   * refuses every write request (TEMPORAL_DISABLE_WRITE_ACTIONS); queries still work.
   */
  readonly webWriteActions?: boolean;
  /** OIDC login in front of the Web UI (TEMPORAL_AUTH_*). @default none */
  readonly webAuth?: TemporalWebAuthConfig;
  /** Retention of closed workflows, in days. @default 7 */
  readonly retentionDays?: number;
  /** SQL `maxConns` per pod and datastore. @default 20 */
  readonly maxConns?: number;
  /** SQL `maxIdleConns` per pod and datastore. @default 20 */
  readonly maxIdleConns?: number;
  /** @default '1.6.0' */
  readonly version?: string;
  /**
   * The platform's server image (stacks/lib/temporal-server-image.ts): upstream's with the platform's
   * authorization, which this construct configures.
   */
  readonly serverImage: { readonly repository: string; readonly tag: string };
  /**
   * Common names of the pipeline's client certificates (their releases' names): the identities the
   * authorization policy grants the bridge's and the worker's calls (decision 0114).
   */
  readonly clientIdentities: { readonly bridge: string; readonly worker: string };
  /** Raw Helm values, merged last. @default {} */
  readonly values?: Record<string, unknown>;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The Temporal server chart on CNPG (via PgBouncer, TLS verify-full), the schema job as a Helm hook
 * that finishes before the server pods roll, the pipeline namespace, the UI and ServiceMonitors.
 * Mutual TLS on the frontend and between services, certificates from cert-manager; every pod runs
 * under Pod Security `restricted` with a read-only root; no admin-tools pod is left running.
 *
 * @example
 * const temporal = new TemporalServer(this, 'temporal', { namespace: 'temporal', database: pg.connection,
 *   databaseRole: 'temporal', temporalNamespace: TEMPORAL_NAMESPACE, numHistoryShards: 4096, tlsIssuer: ca.issuer });
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
    const frontendHost = `${p.releaseName}-frontend.${p.namespace}.svc`;
    const internodeName = `${p.releaseName}-internode.${p.namespace}.svc`;
    const frontendCert = new TlsCertificate(this, 'frontend-certificate', {
      issuer: p.tlsIssuer,
      namespace: p.namespace,
      name: `${p.releaseName}-frontend-tls`,
      // The chart's CLI jobs and the Web UI present this certificate as their client certificate.
      usage: 'both',
      dnsNames: [`${p.releaseName}-frontend`, `${p.releaseName}-frontend.${p.namespace}`, frontendHost],
      dependsOn: p.dependsOn,
    });
    const internodeCert = new TlsCertificate(this, 'internode-certificate', {
      issuer: p.tlsIssuer,
      namespace: p.namespace,
      name: `${p.releaseName}-internode-tls`,
      // Services dial each other by pod IP and verify this fixed name instead.
      usage: 'both',
      dnsNames: [internodeName],
      dependsOn: p.dependsOn,
    });
    // The Web UI and operators' tools get identities of their own: the policy grants the UI reads
    // (writes only when switched on) and the admin certificate everything.
    const webCert = new TlsCertificate(this, 'web-certificate', {
      issuer: p.tlsIssuer,
      namespace: p.namespace,
      name: `${p.releaseName}-web-tls`,
      usage: 'client',
      commonName: `${p.releaseName}-web`,
      dependsOn: p.dependsOn,
    });
    const adminCert = new TlsCertificate(this, 'admin-certificate', {
      issuer: p.tlsIssuer,
      namespace: p.namespace,
      name: `${p.releaseName}-admin-tls`,
      usage: 'client',
      commonName: `${p.releaseName}-admin`,
      dependsOn: p.dependsOn,
    });
    const policy = temporalAuthorizationPolicy(
      {
        ...p.clientIdentities,
        ui: `${p.releaseName}-web`,
        admin: `${p.releaseName}-admin`,
        // The chart's namespace job presents the frontend certificate; the services, both.
        server: [`${p.releaseName}-frontend-tls`, `${p.releaseName}-internode-tls`],
      },
      p.temporalNamespace,
      { uiWrites: p.webWriteActions ?? false },
    );
    const policyMap = new ConfigMapV1(this, 'authorization-policy', {
      metadata: {
        name: `${p.releaseName}-authorization`,
        namespace: p.namespace,
        labels: { ...MANAGED_LABELS },
      },
      data: { 'policy.json': JSON.stringify(policy, null, 2) },
      dependsOn: [...(p.dependsOn ?? [])],
    });
    const policyVolume = { name: 'authorization', configMap: { name: `${p.releaseName}-authorization` } };
    const policyMount = { name: 'authorization', mountPath: AUTHORIZATION_MOUNT_PATH, readOnly: true };
    const caVolume = {
      name: 'platform-ca',
      secret: { secretName: internodeCert.secret.secretName, items: [{ key: 'ca.crt', path: 'ca.crt' }] },
    };
    const caMount = { name: 'platform-ca', mountPath: p.caMountPath, readOnly: true };
    const tmp = { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } };
    const tmpMount = { name: 'tmp', mountPath: '/tmp' };
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
        // PgBouncer requires TLS; verify its certificate and name against the platform CA.
        tls: {
          enabled: true,
          caFile: `${p.caMountPath}/ca.crt`,
          enableHostVerification: true,
          serverName: p.database.host,
        },
      },
    });
    const service = (svc: TemporalService) => {
      const { cpu, memory } = p.resources[svc];
      return {
        replicaCount: p.replicas[svc],
        containerSecurityContext: RESTRICTED_CONTAINER,
        resources: { requests: { cpu, memory }, limits: { memory } },
        // A drain takes one pod of a service at a time (the chart renders it above one replica):
        // history shards move once per pod instead of all at once.
        podDisruptionBudget: { maxUnavailable: 1 },
        // Spread each service over zones, so that losing one keeps every service serving.
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: {
              matchLabels: {
                'app.kubernetes.io/instance': p.releaseName,
                'app.kubernetes.io/component': svc,
              },
            },
          },
        ],
      };
    };
    // Temporal never calls the Kubernetes API: its pods get no token.
    const serviceAccount = new ServiceAccountV1(this, 'service-account', {
      metadata: { name: p.releaseName, namespace: p.namespace, labels: { ...MANAGED_LABELS } },
      automountServiceAccountToken: false,
      dependsOn: [...(p.dependsOn ?? [])],
    });
    const values = {
      serviceAccount: { create: false, name: p.releaseName },
      server: {
        image: { repository: p.serverImage.repository, tag: p.serverImage.tag },
        metrics: { serviceMonitor: { enabled: true, interval: '30s' } },
        securityContext: RESTRICTED_POD,
        additionalVolumes: [caVolume, tmp, policyVolume],
        additionalVolumeMounts: [caMount, tmpMount, policyMount],
        additionalEnv: [
          { name: TEMPORAL_AUTHORIZATION_POLICY_ENV, value: `${AUTHORIZATION_MOUNT_PATH}/policy.json` },
        ],
        tls: {
          internode: {
            enabled: true,
            secretName: internodeCert.secret.secretName,
            requireClientAuth: true,
            serverName: internodeName,
          },
          frontend: {
            enabled: true,
            secretName: frontendCert.secret.secretName,
            requireClientAuth: true,
            serverName: frontendHost,
          },
        },
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
        frontend: service('frontend'),
        history: service('history'),
        matching: service('matching'),
        worker: service('worker'),
      },
      web: {
        enabled: p.webReplicas > 0,
        // The UI the local stack runs and its tests see, not the chart's default.
        image: { repository: 'temporalio/ui', tag: TEMPORAL_UI_VERSION },
        replicaCount: Math.max(p.webReplicas, 1),
        tls: {
          enabled: true,
          secretName: webCert.secret.secretName,
          serverName: frontendHost,
          enableHostVerification: true,
        },
        securityContext: RESTRICTED_POD,
        containerSecurityContext: RESTRICTED_CONTAINER,
        // A static UI and a proxy to the frontend: small and flat, whatever the event rate.
        resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '256Mi' } },
        additionalVolumes: [tmp],
        additionalVolumeMounts: [tmpMount],
        additionalEnv: webUiEnv(p.webWriteActions ?? false, p.webAuth),
      },
      // A standing shell pod with admin certificates is not needed: the jobs below use the same image.
      admintools: {
        enabled: false,
        additionalVolumes: [caVolume, tmp],
        additionalVolumeMounts: [caMount, tmpMount],
      },
      // The schema job as a pre-install/pre-upgrade hook: Helm runs it to completion before it changes
      // any other resource, so the schema is updated before a server pod of the new version starts
      // (the old pods run on meanwhile: a schema update is compatible with the previous minor). As a
      // plain resource it ran beside the rolling pods. Everything it needs (service account, database
      // secret, CA) exists before the release.
      schema: {
        useHelmHooks: true,
        securityContext: RESTRICTED_POD,
        containerSecurityContext: RESTRICTED_CONTAINER,
      },
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
      dependsOn: [
        ...(p.dependsOn ?? []),
        frontendCert.resource,
        internodeCert.resource,
        webCert.resource,
        adminCert.resource,
        policyMap,
        serviceAccount,
      ],
    });
    this.connection = {
      address: `${frontendHost}:7233`,
      namespace: p.temporalNamespace,
      releaseNamespace: p.namespace,
      tls: { serverName: frontendHost, requireClientCertificate: true },
    };
  }
}

/**
 * The Web UI image's settings (its config template reads these variables): read-only unless writes
 * are switched on, and an OIDC login when configured.
 * @see https://docs.temporal.io/references/web-ui-environment-variables
 */
export function webUiEnv(
  writeActions: boolean,
  auth: TemporalWebAuthConfig | undefined,
): { name: string; value?: string; valueFrom?: unknown }[] {
  const env: { name: string; value?: string; valueFrom?: unknown }[] = [
    { name: 'TEMPORAL_DISABLE_WRITE_ACTIONS', value: String(!writeActions) },
  ];
  if (auth) {
    env.push(
      { name: 'TEMPORAL_AUTH_ENABLED', value: 'true' },
      { name: 'TEMPORAL_AUTH_PROVIDER_URL', value: auth.issuerUrl },
      { name: 'TEMPORAL_AUTH_CLIENT_ID', value: auth.clientId },
      {
        name: 'TEMPORAL_AUTH_CLIENT_SECRET',
        valueFrom: { secretKeyRef: { name: auth.clientSecret.name, key: auth.clientSecret.key } },
      },
      { name: 'TEMPORAL_AUTH_CALLBACK_URL', value: auth.callbackUrl },
      { name: 'TEMPORAL_AUTH_SCOPES', value: 'openid,profile,email' },
    );
  }
  return env;
}
