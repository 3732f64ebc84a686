import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { KafkaConnection, KafkaCredentials } from '../lib/connections.js';
import { kubeManifest } from '../lib/kube-manifest.js';

/** Operations of the Strimzi `simple` authorizer (KafkaUser v1 `acls[].operations`). */
export type AclOperation =
  | 'Read'
  | 'Write'
  | 'Create'
  | 'Delete'
  | 'Alter'
  | 'Describe'
  | 'ClusterAction'
  | 'AlterConfigs'
  | 'DescribeConfigs'
  | 'IdempotentWrite'
  | 'All';

export interface KafkaAcl {
  readonly resource: {
    readonly type: 'topic' | 'group' | 'cluster' | 'transactionalId';
    /** Omitted for `cluster`. */
    readonly name?: string;
    /** @default 'literal' */
    readonly patternType?: 'literal' | 'prefix';
  };
  readonly operations: readonly AclOperation[];
}

const DEFAULTS = { authentication: 'scram-sha-512' as const };

export interface KafkaUserProps {
  readonly kafka: KafkaConnection;
  readonly userName: string;
  /**
   * Least-privilege ACLs. `All` is refused: grant the operations the client uses.
   * @see https://strimzi.io/docs/operators/latest/configuring#type-AclRule-reference
   */
  readonly acls: readonly KafkaAcl[];
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A SCRAM-SHA-512 KafkaUser with ACLs. The User Operator generates the password into a Secret named
 * after the user (key `password`) in `kafka.userNamespace`.
 *
 * @example
 * const bridge = new KafkaUser(this, 'bridge-user', { kafka, userName: 'sensor-bridge',
 *   acls: [{ resource: { type: 'topic', name: TOPICS.sensorData }, operations: ['Read', 'Describe'] }] });
 */
export class KafkaUser extends Construct {
  public readonly credentials: KafkaCredentials;

  constructor(scope: Construct, id: string, props: KafkaUserProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (p.acls.length === 0) {
      throw new Error(`'acls' of KafkaUser '${p.userName}' ([]) must grant at least one operation`);
    }
    p.acls.forEach((acl, i) => {
      if (acl.operations.includes('All')) {
        throw new Error(
          `'acls[${i}].operations' of KafkaUser '${p.userName}' (${JSON.stringify(acl.operations)}) must not contain 'All': grant only what the client uses`,
        );
      }
      if (acl.resource.type !== 'cluster' && !acl.resource.name) {
        throw new Error(
          `'acls[${i}].resource.name' of KafkaUser '${p.userName}' (undefined) must be set for type '${acl.resource.type}'`,
        );
      }
    });
    kubeManifest(
      this,
      'user',
      {
        apiVersion: 'kafka.strimzi.io/v1',
        kind: 'KafkaUser',
        metadata: {
          name: p.userName,
          namespace: p.kafka.userNamespace,
          labels: { 'strimzi.io/cluster': p.kafka.clusterName },
        },
        spec: {
          authentication: { type: p.authentication },
          authorization: {
            type: 'simple',
            acls: p.acls.map((acl) => ({
              type: 'allow',
              resource: {
                type: acl.resource.type,
                ...(acl.resource.name
                  ? { name: acl.resource.name, patternType: acl.resource.patternType ?? 'literal' }
                  : {}),
              },
              operations: [...acl.operations],
            })),
          },
        },
      },
      p.dependsOn,
    );
    this.credentials = {
      username: p.userName,
      secretName: p.userName,
      passwordKey: 'password',
      namespace: p.kafka.userNamespace,
    };
  }
}
