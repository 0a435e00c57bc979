// Each served name's certificate in the certs folder (tls/certificate-files.ts): names, key, expiry,
// and whether its chain leads to a trusted CA (a certbot cert.pem without its intermediate does
// not: clients that lack the intermediate refuse it, so fullchain.pem is what to serve).
import { X509Certificate } from 'node:crypto';
import { inspectCertificate, parseChain } from '../tls/certificate-check.ts';
import { findCertificate } from '../tls/certificate-files.ts';
import { Findings, errorText } from './finding.ts';

/** Days before expiry from which a certificate is a warning (certbot renews at 30). */
const EXPIRY_WARNING_DAYS = 14;

export async function checkCertificates(certsDir: string, names: readonly string[], trustedPem: readonly string[], now = new Date()): Promise<Findings> {
  const found = new Findings('certificates');
  const roots = trustedPem.flatMap((pem) => {
    try {
      return parseChain(pem);
    } catch {
      return [];
    }
  });
  for (const name of names) {
    const file = await findCertificate(certsDir, name);
    if (file.status === 'missing') {
      found.note(`${name}: no certificate yet; the server makes a self-signed one when it starts serving ${name}`);
      continue;
    }
    if (file.status === 'incomplete') {
      found.problem(`${name}: ${file.missing} is missing`, `put the other half of the pair beside it, or run \`parley cert import\``);
      continue;
    }
    const { report, problems } = inspectCertificate(file.cert, file.key, name, now);
    for (const problem of problems) found.problem(`${name} (${file.source.certPath}): ${problem}`, fixFor(problem, name));
    if (!report || problems.length > 0) continue;
    const daysLeft = Math.floor((report.validTo.getTime() - now.getTime()) / 86_400_000);
    if (report.selfSigned) {
      found.warning(`${name}: self-signed (sha256 ${report.fingerprint256}); clients ask their users to trust it, other servers accept it only with dialback`,
        'get a certificate from a CA (e.g. certbot for the domain) and run `parley cert import /etc/letsencrypt/live`');
    } else {
      const chainProblem = verifyChain(file.cert, roots);
      if (chainProblem) found.problem(`${name}: ${chainProblem}`, 'serve the full chain (certbot: fullchain.pem, not cert.pem)');
      else found.ok(`${name}: issued by ${report.issuer}, valid until ${report.validTo.toISOString().slice(0, 10)} (${daysLeft} days)`);
    }
    if (daysLeft < EXPIRY_WARNING_DAYS) {
      found.warning(`${name}: the certificate expires in ${daysLeft} day${daysLeft === 1 ? '' : 's'}`, 'renew it (certbot renew) and import it again; a running server reloads it');
    }
  }
  return found;
}

function fixFor(problem: string, name: string): string {
  if (problem.includes('expired') || problem.includes('not valid before')) return `renew it, or delete the pair to have a self-signed one made for ${name}`;
  if (problem.includes('do not cover')) return `get a certificate whose names include ${name}`;
  if (problem.includes('key')) return 'put the key that belongs to the certificate beside it';
  return 'replace the files';
}

/** Why the chain does not lead to a trusted CA, or null when it does. */
function verifyChain(pem: string, roots: readonly X509Certificate[]): string | null {
  let chain: X509Certificate[];
  try {
    chain = parseChain(pem);
  } catch (error) {
    return `the chain cannot be read: ${errorText(error)}`;
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issued(chain[i]!, chain[i + 1]!)) return `certificate ${i + 1} of the chain is not issued by the next one (${chain[i + 1]!.subject.replaceAll('\n', ', ')})`;
  }
  const last = chain[chain.length - 1]!;
  if (roots.some((root) => root.fingerprint256 === last.fingerprint256 || issued(last, root))) return null;
  return `the chain ends at ${last.issuer.replaceAll('\n', ', ')}, which is not a trusted CA (an intermediate certificate is missing, or the CA is private: add it to s2s.trustedCaFile)`;
}

function issued(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}
