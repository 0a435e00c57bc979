// The CAs trusted for peers' certificates (s2s, XEP-0178; `parley dns-check`): Node's bundled roots
// (Mozilla's store, what "the system store" means for a Node process) plus the PEM bundle named by
// config s2s.trustedCaFile (a private CA, the tests' CA). Pass the result as tls.connect's `ca`.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

export function trustedCertificateAuthorities(trustedCaFile: string | undefined): string[] {
  return trustedCaFile ? [...tls.rootCertificates, readFileSync(trustedCaFile, 'utf8')] : [...tls.rootCertificates];
}
