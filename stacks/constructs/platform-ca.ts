import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateIssuer } from '../lib/connections.js';
import { kubeManifest } from '../lib/kube-manifest.js';

const DEFAULTS = {
  name: 'sensor-platform',
  /** Ten years: the root only signs; leaf certificates rotate on their own schedule. */
  duration: '87600h',
  renewBefore: '720h',
};

export interface PlatformCaProps {
  /** cert-manager's cluster resource namespace: the CA key pair must live there. */
  readonly namespace: string;
  /** Prefix of the issuers and the CA Secret. @default 'sensor-platform' */
  readonly name?: string;
  /**
   * Lifetime of the root certificate (a Go duration).
   * @default '87600h'
   * @see https://cert-manager.io/docs/configuration/ca/
   */
  readonly duration?: string;
  /** @default '720h' */
  readonly renewBefore?: string;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * The platform's private CA: a self-signed root made by cert-manager and a CA ClusterIssuer that
 * signs every server and client certificate (Kafka listener, Postgres, Temporal, the pipeline's
 * clients). Each issued Secret carries the root as `ca.crt`, so every namespace that holds a
 * certificate also holds the trust anchor: no CA copying between namespaces.
 *
 * @example
 * const ca = new PlatformCa(this, 'ca', { namespace: 'operators' });
 * new TlsCertificate(this, 'pg', { issuer: ca.issuer, namespace: 'postgres', ... });
 */
export class PlatformCa extends Construct {
  /** The ClusterIssuer that signs leaf certificates. */
  public readonly issuer: CertificateIssuer;
  /** Issuers and the root Certificate, for dependsOn. */
  public readonly ready: ITerraformDependable[];

  constructor(scope: Construct, id: string, props: PlatformCaProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    if (!/^([0-9]+h)?([0-9]+m)?([0-9]+s)?$/.test(p.duration) || p.duration === '') {
      throw new Error(
        `'duration' (${JSON.stringify(p.duration)}) must be a Go duration in h/m/s, e.g. 87600h`,
      );
    }
    const dependsOn = [...(p.dependsOn ?? [])];
    const selfSigned = kubeManifest(
      this,
      'selfsigned',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: `${p.name}-selfsigned` },
        spec: { selfSigned: {} },
      },
      dependsOn,
    );
    const secretName = `${p.name}-root-ca`;
    const root = kubeManifest(
      this,
      'root',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: secretName, namespace: p.namespace },
        spec: {
          isCA: true,
          commonName: `${p.name} root CA`,
          secretName,
          duration: p.duration,
          renewBefore: p.renewBefore,
          privateKey: { algorithm: 'ECDSA', size: 256, rotationPolicy: 'Never' },
          issuerRef: { group: 'cert-manager.io', kind: 'ClusterIssuer', name: `${p.name}-selfsigned` },
        },
      },
      [selfSigned],
    );
    const ca = kubeManifest(
      this,
      'issuer',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'ClusterIssuer',
        metadata: { name: `${p.name}-ca` },
        spec: { ca: { secretName } },
      },
      [root],
    );
    this.issuer = { kind: 'ClusterIssuer', name: `${p.name}-ca` };
    this.ready = [selfSigned, root, ca];
  }
}
