/**
 * CnpgPostgres's roles: which databases each may reach, and the Secrets that carry each role's
 * password, written once and write-only (docs/decisions/0112-secrets-out-of-terraform-state.md), in
 * the postgres namespace for CloudNativePG and in the consumer's namespace for the workload.
 */
import { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1/index.js';
import { TerraformLocal, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import type { PostgresCredentials } from '../../lib/connections.js';
import { MANAGED_LABELS } from '../../lib/kube-manifest.js';

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

/**
 * Revision of the write-only Secret data: the provider sends `data_wo` when it changes. Rotation
 * replaces the Secrets instead (docs/operations.md#rotating-secrets), so this stays 1.
 */
const SECRET_REVISION = 1;

/** Every database a role may log in to: the ones it owns, then the ones it only connects to. */
export function reachable(role: PostgresRoleSpec): string[] {
  return [...role.databases, ...(role.connects ?? [])];
}

/** The first role owns the bootstrapped database; no database has two owners. @throws Error */
export function checkRoles(roles: readonly PostgresRoleSpec[]): PostgresRoleSpec {
  const first = roles[0];
  if (!first || !first.databases[0]) {
    throw new Error(`'roles' (${JSON.stringify(roles)}) must contain at least one role with one database`);
  }
  const seen = new Set<string>();
  for (const [i, role] of roles.entries()) {
    for (const db of role.databases) {
      if (seen.has(db))
        throw new Error(`'roles[${i}].databases' names '${db}' twice: a database has one owner`);
      seen.add(db);
    }
  }
  return first;
}

export interface RoleSecret {
  readonly role: PostgresRoleSpec;
  readonly secretName: string;
  readonly source: SecretV1;
}

/**
 * Each role's password Secret in the cluster's namespace (CloudNativePG's `passwordSecret`) and its
 * copy with the connection details in the consumer's namespace, both from one value per role.
 */
export function roleSecrets(
  scope: Construct,
  p: {
    readonly clusterName: string;
    readonly namespace: string;
    readonly roles: readonly PostgresRoleSpec[];
    readonly generatePassword: () => string;
    readonly host: string;
    readonly port: number;
    readonly dependsOn: readonly ITerraformDependable[];
  },
): { sources: RoleSecret[]; credentials: Record<string, PostgresCredentials> } {
  const sslQuery = 'sslmode=verify-full';
  const credentials: Record<string, PostgresCredentials> = {};
  const sources = p.roles.map((role) => {
    const secretName = `${p.clusterName}-${role.name.replace(/_/g, '-')}`;
    // One value per role, evaluated once per apply: the source and every copy get the same one.
    const password = new TerraformLocal(scope, `password-${role.name}`, p.generatePassword()).asString;
    const source = new SecretV1(scope, `secret-${role.name}`, {
      metadata: {
        name: secretName,
        namespace: p.namespace,
        labels: { ...MANAGED_LABELS, 'cnpg.io/reload': 'true' },
      },
      type: 'kubernetes.io/basic-auth',
      // Write-only: sent at creation (and when the revision changes), never read back or stored.
      dataWo: { username: role.name, password },
      dataWoRevision: SECRET_REVISION,
      dependsOn: [...p.dependsOn],
    });
    const database = reachable(role)[0] ?? role.name;
    new SecretV1(scope, `consumer-secret-${role.name}`, {
      metadata: { name: secretName, namespace: role.consumerNamespace, labels: { ...MANAGED_LABELS } },
      type: 'Opaque',
      dataWo: {
        username: role.name,
        password,
        host: p.host,
        port: String(p.port),
        dbname: database,
        sslmode: 'verify-full',
        // The consumer appends `&sslrootcert=<its mount of ca.crt>`: only it knows the path.
        uri: `postgresql://${role.name}:${password}@${p.host}:${p.port}/${database}?${sslQuery}`,
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
  return { sources, credentials };
}
