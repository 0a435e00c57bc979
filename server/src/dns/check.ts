// `parley dns-check DOMAIN`: the SRV records a domain needs (RFC 6120 §3.2.1, XEP-0368), what DNS
// answers for each, and what is wrong — missing record, wrong port, a target without A/AAAA, a
// target not answering on the port, a certificate not valid for the domain.
import { inspectCertificate } from '../tls/certificate-check.ts';
import { DnsError, type AddressAnswer, type DnsResolver, type SrvAnswer } from './resolver.ts';
import { probeXmpp, type ProbeResult } from './probe.ts';

export interface ServicePlan {
  service: '_xmpp-client' | '_xmpps-client' | '_xmpp-server' | '_xmpps-server';
  kind: 'client' | 'server';
  directTls: boolean;
  /** the port this server listens on for it */
  port: number;
}

export interface ListenPorts {
  c2s: number;
  /** -1: off */
  c2sTls: number;
  s2s: number;
  s2sTls: number;
}

/** The services this server offers, from its configured ports. */
export function plannedServices(ports: ListenPorts): ServicePlan[] {
  const plans: ServicePlan[] = [{ service: '_xmpp-client', kind: 'client', directTls: false, port: ports.c2s }];
  if (ports.c2sTls >= 0) plans.push({ service: '_xmpps-client', kind: 'client', directTls: true, port: ports.c2sTls });
  plans.push({ service: '_xmpp-server', kind: 'server', directTls: false, port: ports.s2s });
  if (ports.s2sTls >= 0) plans.push({ service: '_xmpps-server', kind: 'server', directTls: true, port: ports.s2sTls });
  return plans;
}

/** Zone-file lines an admin pastes: one SRV record per service, all at `target`. */
export function zoneLines(domain: string, target: string, plans: ServicePlan[], ttl = 86400): string[] {
  return plans.map((plan) => `${plan.service}._tcp.${fqdn(domain)} ${ttl} IN SRV 5 0 ${plan.port} ${fqdn(target)}`);
}

export interface TargetCheck {
  host: string;
  port: number;
  addresses: AddressAnswer[];
  addressError?: DnsError;
  /** per address probed (the first that answers is enough) */
  probe?: ProbeResult & { address: string };
}

export interface RecordCheck {
  plan: ServicePlan;
  name: string;
  answers: SrvAnswer[];
  lookupError?: DnsError;
  targets: TargetCheck[];
  /** what is wrong with this record, one sentence each */
  problems: string[];
  /** worth knowing, not wrong (self-signed certificate…) */
  notes: string[];
}

export interface CheckOptions {
  /** connect to each target and look at its certificate */
  connect: boolean;
  timeoutMs: number;
  /** CAs trusted for the targets' certificates (tls/trust.ts; undefined: Node's roots) */
  ca: string[] | undefined;
}

export async function checkRecords(resolver: DnsResolver, domain: string, plans: ServicePlan[], options: CheckOptions): Promise<RecordCheck[]> {
  return Promise.all(plans.map((plan) => checkRecord(resolver, domain, plan, options)));
}

async function checkRecord(resolver: DnsResolver, domain: string, plan: ServicePlan, options: CheckOptions): Promise<RecordCheck> {
  const name = `${plan.service}._tcp.${fqdn(domain)}`;
  const check: RecordCheck = { plan, name, answers: [], targets: [], problems: [], notes: [] };
  try {
    check.answers = await resolver.srv(plan.service, domain);
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    check.lookupError = error;
    check.problems.push(error.isAbsent
      ? `missing: no ${name} SRV record${plan.service === '_xmpp-server' || plan.service === '_xmpp-client'
        ? ` (peers fall back to ${domain}'s own A/AAAA on port ${plan.kind === 'server' ? 5269 : 5222})` : ''}`
      : `the lookup failed: ${error.message}`);
    return check;
  }
  if (check.answers.length === 1 && check.answers[0]!.target === '.') {
    check.problems.push(`${name} says the service is not offered (target ".")`);
    return check;
  }
  for (const answer of check.answers) {
    const target: TargetCheck = { host: answer.target, port: answer.port, addresses: [] };
    check.targets.push(target);
    if (answer.port !== plan.port) check.problems.push(`wrong port: ${answer.target}:${answer.port}, this server listens on ${plan.port}`);
    try {
      target.addresses = await resolver.hostAddresses(answer.target);
    } catch (error) {
      if (!(error instanceof DnsError)) throw error;
      target.addressError = error;
      check.problems.push(`the target ${answer.target} has no A/AAAA record (${error.message})`);
      continue;
    }
    if (options.connect) await probeTarget(domain, plan, target, check, options);
  }
  return check;
}

async function probeTarget(domain: string, plan: ServicePlan, target: TargetCheck, check: RecordCheck, options: CheckOptions): Promise<void> {
  let last: (ProbeResult & { address: string }) | undefined;
  for (const { address } of target.addresses) {
    last = { address, ...(await probeXmpp({ address, port: target.port, domain, kind: plan.kind, directTls: plan.directTls, timeoutMs: options.timeoutMs, ca: options.ca })) };
    if (last.connected) break;
  }
  target.probe = last;
  const where = `${target.host}:${target.port}${last ? ` (${last.address})` : ''}`;
  if (!last?.connected) return void check.problems.push(`${where} is not answering on the port${last?.error ? `: ${last.error}` : ''}`);
  if (!last.xmpp) return void check.problems.push(`${where} answers, but not as an XMPP ${plan.kind} service${last.error ? ` (${last.error})` : ''}`);
  if (!plan.directTls && !last.starttls) return void check.problems.push(`${where} does not offer STARTTLS`);
  if (!last.certificate) return void check.problems.push(`${where} presented no certificate${last.error ? ` (${last.error})` : ''}`);
  const { report, problems } = inspectCertificate(last.certificate.toString(), undefined, domain);
  for (const problem of problems) check.problems.push(`certificate from ${where} not valid for ${domain}: ${problem}`);
  if (report && !last.trusted) {
    check.notes.push(`certificate from ${where} is not signed by a trusted CA (${last.trustError}${report.selfSigned ? ', self-signed' : ''}): clients warn, other servers use dialback`);
  }
}

export function fqdn(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}
