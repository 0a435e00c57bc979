// `parley dns-check DOMAIN`: the records to paste into the zone, the live answers as dig shows them,
// and what is wrong (exit status 1). DNS goes through the configured resolver (config.dns).
import type { Command } from 'commander';
import type { Config } from '../config.ts';
import { DnsResolver } from '../dns/resolver.ts';
import { trustedCertificateAuthorities } from '../tls/trust.ts';
import { checkRecords, fqdn, plannedServices, zoneLines, type RecordCheck } from '../dns/check.ts';

export function registerDnsCheckCommand(program: Command, loadConfig: () => Config): void {
  program.command('dns-check <domain>')
    .description('print the DNS records a domain needs, what DNS answers, and what is wrong (exit status 1)')
    .option('--target <host>', 'the host name the SRV records point at (default: the domain itself)')
    .option('--no-connect', 'only look at DNS: do not connect to the targets')
    .option('--timeout <ms>', 'how long a target may take to answer', '5000')
    .action(async (domain: string, options: { target?: string; connect: boolean; timeout: string }) => {
      const config = loadConfig();
      const resolver = new DnsResolver(config.dns);
      const plans = plannedServices({ c2s: config.c2s.port, c2sTls: config.c2s.tlsPort, s2s: config.s2s.port, s2sTls: config.s2s.tlsPort });
      const target = options.target ?? domain;
      const out: string[] = [];
      out.push(`; Records ${domain} needs (paste into its zone; ${fqdn(target)} needs A and/or AAAA records with this server's public addresses):`);
      out.push(...zoneLines(domain, target, plans), '');
      const checks = await checkRecords(resolver, domain, plans, {
        connect: options.connect, timeoutMs: Number(options.timeout) || 5000,
        ca: trustedCertificateAuthorities(config.s2s.trustedCaFile),
      });
      out.push(`; What DNS answers now (servers ${resolver.servers().join(', ')}):`);
      for (const check of checks) out.push(...liveAnswer(check));
      out.push('');
      const problems = checks.flatMap((check) => check.problems.map((problem) => `${check.plan.service}: ${problem}`));
      const notes = checks.flatMap((check) => check.notes.map((note) => `${check.plan.service}: ${note}`));
      for (const note of notes) out.push(`; note: ${note}`);
      if (problems.length === 0) {
        out.push(`; ${domain}: every record is in place${options.connect ? ' and every target answers' : ''}`);
      } else {
        out.push(`; ${problems.length} problem${problems.length === 1 ? '' : 's'}:`);
        for (const problem of problems) out.push(`;   ${problem}`);
        process.exitCode = 1;
      }
      console.log(out.join('\n'));
    });
}

/** One record's answer in dig's answer-section layout (SRV without TTL: Node's resolver does not report it). */
function liveAnswer(check: RecordCheck): string[] {
  const lines = [`;; ${check.name} SRV`];
  if (check.lookupError) {
    lines.push(`;   ${check.lookupError.isAbsent ? (check.lookupError.kind === 'not-found' ? 'NXDOMAIN' : 'NOERROR, no records') : check.lookupError.message}`);
    return lines;
  }
  for (const answer of check.answers) {
    lines.push(`${check.name}\tIN\tSRV\t${answer.priority} ${answer.weight} ${answer.port} ${fqdn(answer.target)}`);
  }
  for (const target of check.targets) {
    if (target.addressError) lines.push(`;   ${fqdn(target.host)} A/AAAA: ${target.addressError.kind === 'not-found' ? 'NXDOMAIN' : target.addressError.message}`);
    for (const address of target.addresses) {
      lines.push(`${fqdn(target.host)}\t${address.ttl}\tIN\t${address.family === 4 ? 'A' : 'AAAA'}\t${address.address}`);
    }
    const probe = target.probe;
    if (probe) {
      const state = !probe.connected ? 'no answer' : !probe.xmpp ? 'not XMPP'
        : `XMPP${check.plan.directTls ? ' over TLS' : probe.starttls ? ', STARTTLS' : ', no STARTTLS'}${probe.certificate
          ? `, certificate ${probe.certificate.subject.replaceAll('\n', ', ')} (sha256 ${probe.certificate.fingerprint256.slice(0, 23)}…)` : ''}`;
      lines.push(`;   ${probe.address}:${target.port}: ${state}`);
    }
  }
  return lines;
}
