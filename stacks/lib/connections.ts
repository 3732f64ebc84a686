/**
 * What one construct hands to the next. Plain strings only (no Terraform tokens), so passing them
 * between stacks creates no cross-stack outputs.
 */

import type { CertificateApproval } from './certificate-approval.js';

/** A Strimzi Kafka cluster as its clients see it. */
export interface KafkaConnection {
  readonly clusterName: string;
  readonly namespace: string;
  /** SASL/SCRAM-SHA-512 over TLS bootstrap address, `host:port`. */
  readonly bootstrapServers: string;
  readonly saslMechanism: 'scram-sha-512';
  /** Always true: the only client listener is TLS; clients verify it with the platform CA (`ca.crt`). */
  readonly tls: true;
  /** Namespace where the User Operator reconciles KafkaUsers (and writes their Secrets). */
  readonly userNamespace: string;
}

/** A KafkaUser's credentials: the Secret the User Operator writes (key `password`). */
export interface KafkaCredentials {
  readonly username: string;
  readonly secretName: string;
  readonly passwordKey: 'password';
  readonly namespace: string;
}

/** Credentials of one Postgres role, copied into the namespace of its consumer. */
export interface PostgresCredentials {
  readonly username: string;
  readonly database: string;
  /** Secret in `namespace` with keys username, password, host, port, dbname, uri. */
  readonly secretName: string;
  readonly namespace: string;
}

/** A CNPG cluster behind its PgBouncer Pooler. */
export interface PostgresConnection {
  readonly clusterName: string;
  readonly namespace: string;
  /** Name of the Pooler resource (and its pods' `cnpg.io/poolerName` label). */
  readonly poolerName: string;
  /** Pooler (PgBouncer, rw) service host. */
  readonly host: string;
  readonly port: number;
  /** Credentials per role name. */
  readonly credentials: Readonly<Record<string, PostgresCredentials>>;
  /**
   * Clients must use TLS and verify the server's name against the platform CA (`verify-full`):
   * Postgres and PgBouncer refuse connections without TLS.
   */
  readonly sslMode: 'verify-full';
}

/** A Temporal frontend and the namespace the pipeline uses. */
export interface TemporalConnection {
  /** gRPC frontend, `host:port`. */
  readonly address: string;
  readonly namespace: string;
  readonly releaseNamespace: string;
  /** Mutual TLS: clients present a certificate from the platform CA and verify this name. */
  readonly tls: { readonly serverName: string; readonly requireClientCertificate: true };
}

/** A cert-manager issuer that signs the platform's certificates. */
export interface CertificateIssuer {
  readonly kind: 'ClusterIssuer' | 'Issuer';
  readonly name: string;
  /** Set when approver-policy decides its requests: each TlsCertificate then creates its policy. */
  readonly approval?: CertificateApproval;
}

/** A cert-manager Secret: keys `tls.crt`, `tls.key` and `ca.crt` (the platform CA). */
export interface TlsSecret {
  readonly secretName: string;
  readonly namespace: string;
}
