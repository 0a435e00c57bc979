// What a certificate (chain) and key say about a domain: names, issuer, validity and what is wrong.
// Used to refuse a replacement file (tls/certificates.ts), by `parley cert check` and `parley cert
// import`, and by `parley dns-check` for the certificate a server presents.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';

export interface CertificateReport {
  subject: string;
  issuer: string;
  /** subjectAltName DNS names (or the subject CN when there are none) */
  names: string[];
  validFrom: Date;
  validTo: Date;
  /** SHA-256 fingerprint of the leaf certificate, colon-separated hex (as openssl prints it) */
  fingerprint256: string;
  selfSigned: boolean;
  /** certificates in the chain (leaf first) */
  chainLength: number;
}

export interface Inspection {
  report?: CertificateReport;
  /** Empty when the pair is fit to serve `domain`; each entry is one sentence for a log line. */
  problems: string[];
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The leaf certificate of a PEM chain (the first block), with the rest of the chain. */
export function parseChain(certPem: string): X509Certificate[] {
  return (certPem.match(PEM_BLOCK) ?? []).map((block) => new X509Certificate(block));
}

export function describeCertificate(leaf: X509Certificate, chainLength = 1): CertificateReport {
  const names = (leaf.subjectAltName ?? '').split(', ').filter((entry) => entry.startsWith('DNS:')).map((entry) => entry.slice(4));
  const commonName = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return {
    subject: leaf.subject.replaceAll('\n', ', '),
    issuer: leaf.issuer.replaceAll('\n', ', '),
    names: names.length > 0 ? names : commonName ? [commonName] : [],
    validFrom: new Date(leaf.validFrom),
    validTo: new Date(leaf.validTo),
    fingerprint256: leaf.fingerprint256,
    // not checkIssued(): OpenSSL wants keyCertSign in an issuer, which a leaf (rightly) lacks
    selfSigned: leaf.subject === leaf.issuer && leaf.verify(leaf.publicKey),
    chainLength,
  };
}

/**
 * Everything that keeps a certificate from serving `domain` now: unreadable PEM, a key that is not
 * the certificate's, names that do not cover the domain (RFC 6125 §6.4: exact or `*.` one label
 * deep, as X509Certificate.checkHost matches), expired or not yet valid. `key` undefined: only the
 * certificate is checked (a certificate a server presented).
 */
export function inspectCertificate(certPem: string, key: string | undefined, domain: string, now = new Date()): Inspection {
  let chain: X509Certificate[];
  try {
    chain = parseChain(certPem);
  } catch (error) {
    return { problems: [`the certificate cannot be read: ${message(error)}`] };
  }
  if (chain.length === 0) return { problems: ['the file holds no PEM certificate'] };
  const leaf = chain[0]!;
  const report = describeCertificate(leaf, chain.length);
  const problems: string[] = [];
  if (key !== undefined) {
    try {
      if (!leaf.checkPrivateKey(createPrivateKey(key))) problems.push('the key does not match the certificate');
      else createSecureContext({ key, cert: certPem }); // what OpenSSL will be given: must load too
    } catch (error) {
      problems.push(`the key cannot be read: ${message(error)}`);
    }
  }
  if (leaf.checkHost(domain) === undefined) {
    problems.push(`the certificate's names (${report.names.join(', ') || 'none'}) do not cover ${domain}`);
  }
  if (report.validTo < now) problems.push(`the certificate expired on ${report.validTo.toISOString()}`);
  if (report.validFrom > now) problems.push(`the certificate is not valid before ${report.validFrom.toISOString()}`);
  return { report, problems };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
