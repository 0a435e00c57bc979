// Certificates for federation tests, made with the openssl command line: a test CA and domain
// certificates it signs (the SASL EXTERNAL path, XEP-0178), or self-signed ones (the dialback path,
// XEP-0220). EC P-256 keys; subjectAltName DNS:<domain> and DNS:*.<domain>; serverAuth + clientAuth
// (a server presents the same certificate when it connects out).
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const openssl = (args: string[]) => promisify(execFile)('openssl', args);

export interface CertificateFiles {
  key: string;
  cert: string;
  keyPem: string;
  certPem: string;
}

export interface TestCa {
  /** PEM file of the CA certificate: what `s2s.trustedCaFile` (or a peer's cafile) names */
  readonly certFile: string;
  /** A certificate for `domain` signed by this CA, written to `dir/<domain>.key|.crt`. */
  issue(domain: string, dir: string, options?: { names?: string[] }): Promise<CertificateFiles>;
}

const LEAF_EXTENSIONS = (names: string[]) => [
  'basicConstraints=critical,CA:FALSE',
  'keyUsage=critical,digitalSignature',
  'extendedKeyUsage=serverAuth,clientAuth',
  `subjectAltName=${names.map((name) => `DNS:${name}`).join(',')}`,
];

export async function createTestCa(dir: string, name = 'Parley Test CA'): Promise<TestCa> {
  mkdirSync(dir, { recursive: true });
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', caCert,
    '-subj', `/CN=${name}`, '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 1;
  return {
    certFile: caCert,
    async issue(domain, outDir, options = {}) {
      mkdirSync(outDir, { recursive: true });
      const key = join(outDir, `${domain}.key`);
      const cert = join(outDir, `${domain}.crt`);
      const csr = join(dir, `${domain}.csr`);
      const extensions = join(dir, `${domain}.ext`);
      writeFileSync(extensions, `${LEAF_EXTENSIONS(options.names ?? [domain, `*.${domain}`]).join('\n')}\n`);
      await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${domain}`]);
      await openssl(['x509', '-req', '-in', csr, '-CA', caCert, '-CAkey', caKey, '-set_serial', String(serial++), '-out', cert, '-days', '365',
        '-extfile', extensions]);
      return files(key, cert);
    },
  };
}

/** A self-signed certificate for `domain` in `dir/<domain>.key|.crt`. */
export async function selfSignedCertificate(domain: string, dir: string): Promise<CertificateFiles> {
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${domain}.key`);
  const cert = join(dir, `${domain}.crt`);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert,
    '-subj', `/CN=${domain}`, '-days', '365', ...LEAF_EXTENSIONS([domain, `*.${domain}`]).flatMap((extension) => ['-addext', extension])]);
  return files(key, cert);
}

function files(key: string, cert: string): CertificateFiles {
  return { key, cert, keyPem: readFileSync(key, 'utf8'), certPem: readFileSync(cert, 'utf8') };
}
