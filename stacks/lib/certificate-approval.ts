/**
 * Who may hold a certificate signed by the platform CA (docs/decisions/0115-certificate-approval.md).
 * cert-manager's own approver leaves the CA's ClusterIssuer alone; approver-policy approves a request
 * only when a CertificateRequestPolicy made for that certificate (its namespace, names, usages, key
 * and lifetime) is bound to the requester in the request's namespace. A Certificate created anywhere
 * else, or asking for another name, is denied and never signed: the common name Temporal's
 * authorizer trusts (decision 0114) is only issued where the platform put it.
 */

/** The identity that requests every certificate: cert-manager's controller. */
export interface CertificateRequester {
  /** cert-manager's namespace. */
  readonly namespace: string;
  /** cert-manager's controller ServiceAccount (its webhook writes this user into each CertificateRequest). */
  readonly serviceAccount: string;
}

/** Set on an issuer whose requests approver-policy decides: each certificate then brings its policy. */
export interface CertificateApproval {
  readonly requester: CertificateRequester;
}

/** The platform CA's name, which its issuers and the CA Secret are named after. */
export const PLATFORM_CA_NAME = 'sensor-platform';

/** The platform CA's two ClusterIssuers: the self-signed one that makes the root, and the CA. */
export function platformCaIssuers(name: string = PLATFORM_CA_NAME): { selfSigned: string; ca: string } {
  return { selfSigned: `${name}-selfsigned`, ca: `${name}-ca` };
}

/**
 * The signer name cert-manager's approval checks (RBAC verb `approve` on `signers`) for a
 * ClusterIssuer.
 * @see https://cert-manager.io/docs/usage/certificaterequest/#approval
 */
export function clusterIssuerSigner(name: string): string {
  return `clusterissuers.cert-manager.io/${name}`;
}

/** The Kubernetes user name of a ServiceAccount, as a CertificateRequest's `spec.username` holds it. */
export function serviceAccountUser(r: CertificateRequester): string {
  return `system:serviceaccount:${r.namespace}:${r.serviceAccount}`;
}
