// Installing a certificate and its key for a served name while the server runs: checked as a reload
// checks files (certificate-check.ts), written into the certs folder in certbot's layout
// (`<certs>/<A-label>/privkey.pem` + `fullchain.pem`, as `parley cert import` writes them: the key
// first, each atomically, so a watcher never pairs a new certificate with the old key), then
// reloaded at once: new connections get it, open ones keep theirs. The admin console's upload and a
// cluster node told of an upload elsewhere (cluster/certificate-relay.ts) both come here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateDirectory } from '../storage/private-files.ts';
import { inspectCertificate } from './certificate-check.ts';
import { normalizeDomain, writeAtomic, type CertificateStore, type ReloadOutcome } from './certificates.ts';

export class CertificateRefused extends Error {}

/**
 * Checks the pair for `name` (U-labels) and serves it; throws CertificateRefused when it cannot
 * serve the name or the reload did not take it. Files that already hold this pair are not
 * rewritten (workers of one machine share the certs folder).
 */
export async function installCertificate(store: CertificateStore, certsDir: string, name: string, certificate: string, key: string): Promise<ReloadOutcome> {
  const { report, problems } = inspectCertificate(certificate, key, name);
  if (!report || problems.length > 0) throw new CertificateRefused(`the certificate cannot serve ${name}: ${problems.join('; ')}`);
  const folder = join(certsDir, normalizeDomain(name));
  const keyPath = join(folder, 'privkey.pem');
  const certPath = join(folder, 'fullchain.pem');
  if (contentOf(keyPath) !== key || contentOf(certPath) !== certificate) {
    privateDirectory(folder);
    await writeAtomic(keyPath, key, 0o600);
    await writeAtomic(certPath, certificate, 0o644);
  }
  const outcome = await store.reload(name);
  if (outcome === 'refused' || outcome === 'missing') throw new CertificateRefused(`the certificate for ${name} was not taken (${outcome}); see the server log`);
  return outcome;
}

function contentOf(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
