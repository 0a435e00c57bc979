// Whether a peer's certificate proves its domain (RFC 6120 §13.7.2, RFC 6125, XEP-0178 §3): it must
// chain to a trusted CA (the system store plus s2s.trustedCaFile) and name the domain (a DNS
// subjectAltName, wildcards for one label, or the CN when there are no DNS names).
import tls from 'node:tls';
import { domainToASCII } from 'node:url';
import type { PeerCertificate } from '../stream/connection.ts';

export type CertificateStatus = { valid: true } | { valid: false; reason: string };

export function certificateStatus(peer: PeerCertificate | null, domain: string): CertificateStatus {
  if (!peer) return { valid: false, reason: 'no certificate' };
  if (!peer.authorized) return { valid: false, reason: peer.error ?? 'untrusted certificate' };
  const name = domainToASCII(domain) || domain;
  const mismatch = tls.checkServerIdentity(name, peer.certificate);
  return mismatch ? { valid: false, reason: mismatch.message } : { valid: true };
}
