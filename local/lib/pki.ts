/**
 * A small PKI made with openssl: a CA, and certificates it signs, in one folder. The same shape as
 * cert-manager's secrets (ca.crt, <name>.crt, <name>.key). The TLS handshake tests use throwaway ones;
 * the local KEDA and the API server's front proxy keep theirs beside their state.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  /** Path of `<name>` (ca.crt, ca.key, <signed>.crt, <signed>.key) in the PKI's folder. */
  path(file: string): string;
  pem(file: string): Buffer;
  /** Issues `<name>.crt` and `<name>.key` for `commonName`, with an openssl extension file's text. */
  sign(name: string, commonName: string, extensions: string): void;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface PkiOptions {
  /** The CA's common name. */
  readonly caName?: string;
  /** Validity of the CA and of what it signs. */
  readonly days?: number;
}

/** A PKI in `dir`: its CA is made when `dir` has none, and kept otherwise. */
export function openPki(dir: string, opts: PkiOptions = {}): Pki {
  const days = String(opts.days ?? 1);
  mkdirSync(dir, { recursive: true });
  const path = (file: string) => join(dir, file);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  if (!existsSync(path('ca.crt')))
    ssl([
      'req',
      '-x509',
      ...EC_KEY,
      '-keyout',
      path('ca.key'),
      '-out',
      path('ca.crt'),
      '-days',
      days,
      '-subj',
      `/CN=${opts.caName ?? 'test CA'}`,
    ]);
  return {
    path,
    pem: (file) => readFileSync(path(file)),
    sign: (name, commonName, extensions) => {
      ssl([
        'req',
        ...EC_KEY,
        '-keyout',
        path(`${name}.key`),
        '-out',
        path(`${name}.csr`),
        '-subj',
        `/CN=${commonName}`,
      ]);
      writeFileSync(path(`${name}.cnf`), extensions);
      ssl([
        'x509',
        '-req',
        '-in',
        path(`${name}.csr`),
        '-CA',
        path('ca.crt'),
        '-CAkey',
        path('ca.key'),
        '-CAcreateserial',
        '-out',
        path(`${name}.crt`),
        '-days',
        days,
        '-extfile',
        path(`${name}.cnf`),
      ]);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A throwaway PKI in a new temporary folder (valid one day). */
export function createTestPki(prefix: string): Pki {
  return openPki(mkdtempSync(join(tmpdir(), prefix)));
}

export interface SigningRequestSubject {
  readonly commonName: string;
  /** Subject alternative DNS names. @default [] */
  readonly dnsNames?: readonly string[];
  /** EC curve of the new key. @default 'prime256v1' (P-256) */
  readonly curve?: string;
}

/**
 * A PKCS#10 certificate signing request (PEM) for a new EC key, as cert-manager puts in a
 * CertificateRequest's `spec.request`. The key is thrown away: only the request is judged.
 */
export function certificateSigningRequest(subject: SigningRequestSubject): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'csr-'));
  try {
    const san = (subject.dnsNames ?? []).map((d) => `DNS:${d}`).join(',');
    execFileSync(
      'openssl',
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        `ec_paramgen_curve:${subject.curve ?? 'prime256v1'}`,
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'req.pem'),
        '-subj',
        `/CN=${subject.commonName}`,
        ...(san ? ['-addext', `subjectAltName=${san}`] : []),
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(join(dir, 'req.pem'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
