// The self-signed certificate a domain gets on first use (until an admin drops in a real one).
import { generate } from 'selfsigned';

export interface PemPair {
  key: string;
  cert: string;
}

const VALIDITY_YEARS = 10;

/** EC P-256 key and a 10-year certificate for `domain` and `*.domain` (conference., upload. …). */
export async function generateSelfSigned(domain: string): Promise<PemPair & { validTo: Date }> {
  const notBefore = new Date();
  const notAfter = new Date(notBefore);
  notAfter.setFullYear(notAfter.getFullYear() + VALIDITY_YEARS);
  // EC P-256: generation takes milliseconds, where RSA 2048 takes a large
  // fraction of a second and blocks startup for each domain.
  const pems = await generate([{ name: 'commonName', value: domain }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256', // the library's default is sha1
    notBeforeDate: notBefore,
    notAfterDate: notAfter,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      // No keyEncipherment: that usage is for RSA key transport, not EC keys.
      { name: 'keyUsage', digitalSignature: true, critical: true },
      // clientAuth too, so the same certificate can authenticate s2s dialback/SASL EXTERNAL.
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: domain },
          { type: 2, value: `*.${domain}` },
        ],
      },
    ],
  });
  // The library's certificate PEM lacks the final newline that PEM tools expect.
  return { key: pems.private, cert: pems.cert.endsWith('\n') ? pems.cert : `${pems.cert}\n`, validTo: notAfter };
}
