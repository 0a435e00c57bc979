// The CAs trusted for peers' certificates (s2s, XEP-0178; `parley dns-check`): Node's bundled roots
// (Mozilla's store, what "the system store" means for a Node process) plus the PEM bundle named by
// config s2s.trustedCaFile (a private CA, the tests' CA). Pass the result as tls.connect's `ca`.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

/**
 * Undefined without a trusted CA file: Node's own root store then, one for the whole process. A
 * `ca` list copies every root into each TLS context (measured: ~50 ms and ~1 MB per context, one
 * per served domain and direction on s2s), so it is given only when it adds to the roots.
 */
export function trustedCertificateAuthorities(trustedCaFile: string | undefined): string[] | undefined {
  return trustedCaFile ? trustedCertificatePems(trustedCaFile) : undefined;
}

/** Every trusted CA as PEM, the roots included (to read them, as `parley check` does). */
export function trustedCertificatePems(trustedCaFile: string | undefined): string[] {
  return trustedCaFile ? [...tls.rootCertificates, readFileSync(trustedCaFile, 'utf8')] : [...tls.rootCertificates];
}
