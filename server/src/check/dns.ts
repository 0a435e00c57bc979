// The SRV records each served domain needs, looked up through the configured resolver (the same
// checks as `parley dns-check DOMAIN`, which prints the zone lines to paste).
import type { Config } from '../config.ts';
import { checkRecords, plannedServices } from '../dns/check.ts';
import { DnsResolver } from '../dns/resolver.ts';
import { trustedCertificateAuthorities } from '../tls/trust.ts';
import { Findings } from './finding.ts';

export interface DnsCheckOptions {
  /** also connect to each target and look at its certificate */
  connect: boolean;
  timeoutMs: number;
}

export async function checkDns(config: Config, domains: readonly string[], options: DnsCheckOptions): Promise<Findings> {
  const found = new Findings('dns');
  const resolver = new DnsResolver(config.dns);
  const plans = plannedServices({ c2s: config.c2s.port, c2sTls: config.c2s.tlsPort, s2s: config.s2s.port, s2sTls: config.s2s.tlsPort });
  for (const domain of domains) {
    if (!isPublicName(domain)) {
      found.note(`${domain} is not a name in public DNS: no records to check`);
      continue;
    }
    const checks = await checkRecords(resolver, domain, plans, { connect: options.connect, timeoutMs: options.timeoutMs, ca: trustedCertificateAuthorities(config.s2s.trustedCaFile) });
    const problems = checks.flatMap((check) => check.problems);
    for (const problem of problems) found.problem(`${domain}: ${problem}`, `\`parley dns-check ${domain}\` prints the records to add`);
    for (const check of checks) for (const note of check.notes) found.note(`${domain}: ${note}`);
    if (problems.length === 0) found.ok(`${domain}: ${checks.map((check) => check.plan.service).join(', ')} records in place${options.connect ? ', every target answers' : ''}`);
  }
  return found;
}

/** localhost, .localhost, .local (mDNS), .invalid and IP literals have no public records. */
function isPublicName(domain: string): boolean {
  if (domain === 'localhost' || /\.(localhost|local|invalid)$/.test(domain)) return false;
  return !/^\d{1,3}(\.\d{1,3}){3}$/.test(domain) && !domain.includes(':') && domain.includes('.');
}
