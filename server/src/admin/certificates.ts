// Certificates per served name for the admin console: what is served (names, issuer, expiry,
// fingerprint, what is wrong), and replacing it by upload. An upload is checked as a reload checks
// files (tls/certificate-check.ts), written into the certs folder in certbot's layout as `parley cert
// import` writes it (key first, atomically), and then reloaded at once (tls/certificates.ts): new
// connections get it, open ones keep theirs.
import { join } from 'node:path';
import { normalizeDomain as canonicalDomain } from '@parley/shared';
import { inspectCertificate, type CertificateReport } from '../tls/certificate-check.ts';
import { normalizeDomain, writeAtomic, type CertificateStore } from '../tls/certificates.ts';
import { privateDirectory } from '../storage/private-files.ts';
import { AdminError } from './errors.ts';

/** Certificates expiring sooner than this are flagged (as `parley check` does). */
const EXPIRY_WARNING_DAYS = 14;

export interface CertificateStatus {
  name: string;
  subject: string;
  issuer: string;
  names: string[];
  validFrom: string;
  validTo: string;
  /** Whole days until validTo (negative once expired). */
  daysLeft: number;
  fingerprint256: string;
  selfSigned: boolean;
  chainLength: number;
  /** 'ok', 'expiring' (within 14 days), or 'problem' (see problems). */
  state: 'ok' | 'expiring' | 'problem';
  problems: string[];
}

export class AdminCertificates {
  constructor(private readonly store: CertificateStore, private readonly certsDir: string, private readonly served: (name: string) => boolean) {}

  status(nameText: string): CertificateStatus {
    const name = this.servedName(nameText);
    const pem = this.store.pemFor(name);
    const report = this.store.reportFor(name);
    if (!pem || !report) throw new AdminError(`no certificate is loaded for ${name} yet`, 'not-found');
    return describe(name, report, inspectCertificate(pem.cert, pem.key, name).problems);
  }

  /** Checks the pair, writes it as `<certs>/<name>/fullchain.pem` + `privkey.pem`, and serves it. */
  async replace(nameText: string, certificate: string, key: string): Promise<CertificateStatus> {
    const name = this.servedName(nameText);
    const { report, problems } = inspectCertificate(certificate, key, name);
    if (!report || problems.length > 0) throw new AdminError(`the certificate cannot serve ${name}: ${problems.join('; ')}`);
    const folder = join(this.certsDir, normalizeDomain(name)); // A-labels, as the certs folder names them
    privateDirectory(folder);
    // the key before the certificate: a watcher never reads a new certificate with the old key
    await writeAtomic(join(folder, 'privkey.pem'), key, 0o600);
    await writeAtomic(join(folder, 'fullchain.pem'), certificate, 0o644);
    const outcome = await this.store.reload(name);
    if (outcome === 'refused' || outcome === 'missing') throw new AdminError(`the certificate for ${name} was not taken (${outcome}); see the server log`);
    return this.status(name);
  }

  private servedName(nameText: string): string {
    let name: string;
    try {
      name = canonicalDomain(nameText.trim()); // U-labels, as the host table names them
    } catch {
      throw new AdminError(`${JSON.stringify(nameText)} is not a domain name`);
    }
    if (!this.served(name)) throw new AdminError(`${name} is not served here`, 'not-found');
    return name;
  }
}

function describe(name: string, report: CertificateReport, problems: string[]): CertificateStatus {
  const daysLeft = Math.floor((report.validTo.getTime() - Date.now()) / 86_400_000);
  return {
    name,
    subject: report.subject,
    issuer: report.issuer,
    names: report.names,
    validFrom: report.validFrom.toISOString(),
    validTo: report.validTo.toISOString(),
    daysLeft,
    fingerprint256: report.fingerprint256,
    selfSigned: report.selfSigned,
    chainLength: report.chainLength,
    state: problems.length > 0 ? 'problem' : daysLeft < EXPIRY_WARNING_DAYS ? 'expiring' : 'ok',
    problems,
  };
}
