// Where to connect for a domain's XMPP service, RFC 6120 §3.2 with XEP-0368 §3:
// `_xmpps-server._tcp` (direct TLS, ALPN xmpp-server) and `_xmpp-server._tcp` (STARTTLS) looked up
// together and ordered as one set by priority and weight (RFC 2782); no SRV records at all: the
// domain itself on the default port (5269, or 5222 for clients). A single '.' target means the
// service is decidedly not offered (RFC 2782): no fallback then (XEP-0368 §4 for '.' on _xmpps-).
import net from 'node:net';
import { DnsError, mostTelling, type AddressAnswer, type DnsResolver, type SrvAnswer } from './resolver.ts';
import { orderSrvRecords } from './srv-order.ts';

export type ServiceKind = 'server' | 'client';

export interface ServiceTarget {
  host: string;
  port: number;
  /** XEP-0368: connect with TLS at once (ALPN xmpp-server / xmpp-client), no STARTTLS */
  directTls: boolean;
  /** '_xmpps-server', '_xmpp-server', … or 'fallback' (A/AAAA of the domain on the default port) */
  service: string;
  priority: number;
  weight: number;
}

export interface ResolvedTarget extends ServiceTarget {
  /** interleaved IPv6/IPv4 (RFC 8305 §4) */
  addresses: AddressAnswer[];
}

/** RFC 6120 §3.2.1 step 1 failed in a way that forbids the fallback: the domain says it offers no such service. */
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';

  constructor(readonly domain: string, readonly kind: ServiceKind) {
    super(`${domain} publishes that it offers no XMPP ${kind} service (SRV target ".")`);
  }
}

export const DEFAULT_PORTS: Record<ServiceKind, number> = { server: 5269, client: 5222 };

type SrvOutcome = { records: SrvAnswer[] } | { absent: true } | { unavailable: true } | { error: DnsError };

/**
 * The targets to try for `domain`, in order, before their addresses are known. Rejects with a
 * DnsError when SRV lookups could not be answered (a timeout must not turn into the A/AAAA
 * fallback), or ServiceUnavailableError.
 */
export async function serviceTargets(resolver: DnsResolver, domain: string, kind: ServiceKind): Promise<ServiceTarget[]> {
  if (net.isIP(domain.replace(/^\[|\]$/g, ''))) return [fallback(domain, kind)];
  const [secure, starttls] = await Promise.all([
    srvOutcome(resolver, `_xmpps-${kind}`, domain), srvOutcome(resolver, `_xmpp-${kind}`, domain),
  ]);
  const records = [secure, starttls].flatMap((outcome) => ('records' in outcome ? outcome.records : []));
  if (records.length > 0) {
    return orderSrvRecords(records).map((record) => ({
      host: record.target, port: record.port, directTls: record.name.startsWith('_xmpps-'),
      service: record.name.slice(0, record.name.indexOf('._tcp.')), priority: record.priority, weight: record.weight,
    }));
  }
  const errors = [secure, starttls].flatMap((outcome) => ('error' in outcome ? [outcome.error] : []));
  if (errors.length > 0) throw mostTelling(errors)!;
  if ('unavailable' in secure || 'unavailable' in starttls) throw new ServiceUnavailableError(domain, kind);
  return [fallback(domain, kind)];
}

/**
 * The targets in order with their addresses, resolved in parallel and yielded as soon as the
 * next one in order is known; targets whose host has no address are skipped. When none is left,
 * throws why (the last target's DnsError: 'timeout' vs 'not-found' decides remote-server-timeout
 * vs remote-server-not-found for s2s).
 *
 *   for await (const target of resolvedTargets(resolver, 'example.org', 'server')) { if (await tryConnect(target)) break; }
 */
export async function* resolvedTargets(resolver: DnsResolver, domain: string, kind: ServiceKind): AsyncGenerator<ResolvedTarget> {
  const targets = await serviceTargets(resolver, domain, kind);
  const lookups = targets.map((target) => resolver.hostAddresses(target.host));
  for (const lookup of lookups) lookup.catch(() => {}); // each is awaited below, in order
  const errors: DnsError[] = [];
  let yielded = 0;
  for (const [index, target] of targets.entries()) {
    try {
      const addresses = await lookups[index]!;
      yielded++;
      yield { ...target, addresses };
    } catch (error) {
      if (!(error instanceof DnsError)) throw error;
      errors.push(error);
    }
  }
  if (yielded === 0) throw mostTelling(errors) ?? new DnsError('no-data', domain, 'SRV');
}

/** Every target with addresses, in order (what resolvedTargets yields, collected). */
export async function resolveTargets(resolver: DnsResolver, domain: string, kind: ServiceKind): Promise<ResolvedTarget[]> {
  const all: ResolvedTarget[] = [];
  for await (const target of resolvedTargets(resolver, domain, kind)) all.push(target);
  return all;
}

/** s2s: `resolveTargets(resolver, domain, 'server')`. */
export function resolveServerTargets(resolver: DnsResolver, domain: string): Promise<ResolvedTarget[]> {
  return resolveTargets(resolver, domain, 'server');
}

function fallback(domain: string, kind: ServiceKind): ServiceTarget {
  return { host: domain, port: DEFAULT_PORTS[kind], directTls: false, service: 'fallback', priority: 0, weight: 0 };
}

async function srvOutcome(resolver: DnsResolver, service: string, domain: string): Promise<SrvOutcome> {
  try {
    const records = await resolver.srv(service, domain);
    if (records.length === 1 && records[0]!.target === '.') return { unavailable: true };
    const usable = records.filter((record) => record.target !== '.');
    return usable.length > 0 ? { records: usable } : { absent: true };
  } catch (error) {
    if (!(error instanceof DnsError)) throw error;
    return error.isAbsent ? { absent: true } : { error };
  }
}
