// The DNS check per domain for the admin console: the SRV records the domain needs (RFC 6120 §3.2.1,
// XEP-0368) for the ports this server listens on, what DNS answers for each, and what is wrong — the
// same check as `parley dns-check` (dns/check.ts), through the server's configured resolver.
import type { DnsResolver } from '../dns/resolver.ts';
import { checkRecords, fqdn, plannedServices, zoneLines, type ListenPorts } from '../dns/check.ts';

export interface DnsRecordStatus {
  service: string;
  name: string;
  /** The port the record should name: the one this server listens on. */
  port: number;
  /** What DNS answers, as `priority weight port target` lines. */
  answers: string[];
  /** Why there is no answer ('NXDOMAIN', 'no records', a timeout…), or null. */
  lookupError: string | null;
  problems: string[];
  notes: string[];
}

export interface DnsStatus {
  domain: string;
  servers: string[];
  /** Zone-file lines to paste. */
  zone: string[];
  records: DnsRecordStatus[];
  ok: boolean;
  checkedAt: string;
}

export class AdminDns {
  constructor(private readonly resolver: DnsResolver, private readonly ports: () => ListenPorts, private readonly ca: string[] | undefined,
    private readonly timeoutMs: number) {}

  async check(domain: string): Promise<DnsStatus> {
    const plans = plannedServices(this.ports());
    const checks = await checkRecords(this.resolver, domain, plans, { connect: true, timeoutMs: this.timeoutMs, ca: this.ca });
    const records = checks.map((check): DnsRecordStatus => ({
      service: check.plan.service,
      name: check.name,
      port: check.plan.port,
      answers: check.answers.map((answer) => `${answer.priority} ${answer.weight} ${answer.port} ${fqdn(answer.target)}`),
      lookupError: check.lookupError
        ? check.lookupError.isAbsent ? (check.lookupError.kind === 'not-found' ? 'NXDOMAIN' : 'no records') : check.lookupError.message
        : null,
      problems: check.problems,
      notes: check.notes,
    }));
    return {
      domain, servers: this.resolver.servers(), zone: zoneLines(domain, domain, plans), records,
      ok: records.every((record) => record.problems.length === 0), checkedAt: new Date().toISOString(),
    };
  }
}
