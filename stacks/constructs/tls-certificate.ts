import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { CertificateIssuer, TlsSecret } from '../lib/connections.js';
import { kubeManifest } from '../lib/kube-manifest.js';
import { CertificatePolicy } from './certificate-policy.js';

const DEFAULTS = {
  /** 90 days, renewed with a third left: a leaked key is short-lived without rotation toil. */
  duration: '2160h',
  renewBefore: '720h',
};

export interface TlsCertificateProps {
  readonly issuer: CertificateIssuer;
  readonly namespace: string;
  /** Certificate and Secret name. */
  readonly name: string;
  /** `server` needs `dnsNames`; `client` identifies by `commonName`; `both` for peers (Temporal internode). */
  readonly usage: 'server' | 'client' | 'both';
  /** Subject alternative names a client verifies (`host` of the address it dials). @default [] */
  readonly dnsNames?: readonly string[];
  /** The identity a server sees for a client certificate. @default the name */
  readonly commonName?: string;
  /**
   * Labels of the issued Secret, e.g. `cnpg.io/reload` so CloudNativePG reloads a renewed certificate.
   * @default {}
   * @see https://cert-manager.io/docs/usage/certificate/#creating-certificate-resources
   */
  readonly secretLabels?: Readonly<Record<string, string>>;
  /** @default '2160h' */
  readonly duration?: string;
  /** @default '720h' */
  readonly renewBefore?: string;
  /** @default [] */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * A cert-manager Certificate whose Secret (`tls.crt`, `tls.key`, `ca.crt`) is mounted by the
 * workload that presents or verifies it.
 *
 * @example
 * const cert = new TlsCertificate(this, 'client', { issuer: ca.issuer, namespace: 'sensor-pipeline',
 *   name: 'ingest-bridge-tls', usage: 'client' });
 */
export class TlsCertificate extends Construct {
  public readonly secret: TlsSecret;
  public readonly resource: ITerraformDependable;

  constructor(scope: Construct, id: string, props: TlsCertificateProps) {
    super(scope, id);
    const p = { ...DEFAULTS, ...props };
    const dnsNames = [...(p.dnsNames ?? [])];
    if (p.usage !== 'client' && dnsNames.length === 0) {
      throw new Error(
        `'dnsNames' of certificate '${p.name}' ([]) must name the hosts clients dial for usage '${p.usage}': hostname verification would fail`,
      );
    }
    const usages = {
      server: ['digital signature', 'key encipherment', 'server auth'],
      client: ['digital signature', 'key encipherment', 'client auth'],
      both: ['digital signature', 'key encipherment', 'server auth', 'client auth'],
    }[p.usage];
    const commonName = p.commonName ?? p.name;
    const privateKey = { algorithm: 'ECDSA', size: 256 };
    // An issuer approver-policy decides signs only what a policy allows: this certificate's own.
    const policy = p.issuer.approval
      ? new CertificatePolicy(this, 'approval', {
          issuer: p.issuer,
          requester: p.issuer.approval.requester,
          namespace: p.namespace,
          certificateName: p.name,
          commonName,
          dnsNames,
          usages,
          maxDuration: p.duration,
          privateKey,
          dependsOn: p.dependsOn,
        }).resources
      : [];
    this.resource = kubeManifest(
      this,
      'certificate',
      {
        apiVersion: 'cert-manager.io/v1',
        kind: 'Certificate',
        metadata: { name: p.name, namespace: p.namespace },
        spec: {
          secretName: p.name,
          ...(p.secretLabels ? { secretTemplate: { labels: { ...p.secretLabels } } } : {}),
          commonName,
          ...(dnsNames.length ? { dnsNames } : {}),
          usages,
          duration: p.duration,
          renewBefore: p.renewBefore,
          // PKCS#8 so every client stack (Node, Go, Java) reads the key as is.
          privateKey: { ...privateKey, encoding: 'PKCS8', rotationPolicy: 'Always' },
          issuerRef: { group: 'cert-manager.io', kind: p.issuer.kind, name: p.issuer.name },
        },
      },
      [...(p.dependsOn ?? []), ...policy],
    );
    this.secret = { secretName: p.name, namespace: p.namespace };
  }
}
