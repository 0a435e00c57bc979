// Certificates per served name for the admin console: what is served (names, issuer, expiry,
// fingerprint, what is wrong), and replacing it by upload (tls/certificate-install.ts: checked,
// written into the certs folder, reloaded at once). In a cluster the upload then goes to every other
// node (cluster/certificate-relay.ts), which installs it in its own certs folder.
import { normalizeDomain as canonicalDomain } from '@parley/shared';
import { inspectCertificate, type CertificateReport } from '../tls/certificate-check.ts';
import type { CertificateStore } from '../tls/certificates.ts';
import { CertificateRefused, installCertificate } from '../tls/certificate-install.ts';
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

/** Told of a certificate installed here by upload (the cluster relays it to the other nodes). */
export type CertificateUploaded = (name: string, certificate: string, key: string) => void;

export class AdminCertificates {
  constructor(private readonly store: CertificateStore, private readonly certsDir: string, private readonly served: (name: string) => boolean,
    private readonly uploaded: CertificateUploaded = () => {}) {}

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
    try {
      await installCertificate(this.store, this.certsDir, name, certificate, key);
    } catch (error) {
      if (error instanceof CertificateRefused) throw new AdminError(error.message);
      throw error;
    }
    this.uploaded(name, certificate, key);
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
