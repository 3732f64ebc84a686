/**
 * A throwaway PKI made with openssl for the TLS handshake tests: a CA, and certificates it signs, in a
 * temporary folder. The same shape as cert-manager's secrets (ca.crt, <name>.crt, <name>.key).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  /** Path of `<name>` (ca.crt, ca.key, <signed>.crt, <signed>.key) in the PKI's folder. */
  path(file: string): string;
  pem(file: string): Buffer;
  /** Issues `<name>.crt` and `<name>.key` for `commonName`, with an openssl extension file's text. */
  sign(name: string, commonName: string, extensions: string): void;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function createTestPki(prefix: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = (file: string) => join(dir, file);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl([
    'req',
    '-x509',
    ...EC_KEY,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.crt'),
    '-days',
    '1',
    '-subj',
    '/CN=test CA',
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
        '1',
        '-extfile',
        path(`${name}.cnf`),
      ]);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
