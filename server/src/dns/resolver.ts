// DNS lookups for federation and for `parley dns-check`: Node's c-ares resolver (dns.Resolver), never
// the system's getaddrinfo (dns.lookup), so the servers, their ports and the time a lookup may take
// are Parley's configuration (config.dns), and every answer is cached by its TTL.
//
// Node reports TTLs for A and AAAA answers but not for SRV: SRV answers are kept
// `srvCacheSeconds`. Failures that say "no such record" (NXDOMAIN, NODATA) are cached
// `negativeCacheSeconds` (RFC 2308 would take the SOA minimum, which Node does not report either);
// timeouts and server failures are not cached.
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { domainToASCII } from 'node:url';

export interface DnsSettings {
  /** `"127.0.0.53"`, `"127.0.0.53:5353"`, `"[::1]:5353"`; empty: the system's servers (/etc/resolv.conf). */
  servers: string[];
  /** A lookup with no answer after this long fails with DnsError 'timeout'. */
  timeoutMs: number;
  /** Queries sent to each server within timeoutMs. */
  tries: number;
  /** Longest time any answer is kept, whatever its TTL. */
  maxCacheSeconds: number;
  srvCacheSeconds: number;
  negativeCacheSeconds: number;
  /** Most names × types cached; the oldest entries go first. */
  cacheSize: number;
}

export const DNS_DEFAULTS: DnsSettings = {
  servers: [], timeoutMs: 5000, tries: 2, maxCacheSeconds: 3600, srvCacheSeconds: 300, negativeCacheSeconds: 60, cacheSize: 10_000,
};

/**
 * Why a lookup gave nothing. 'not-found': the name does not exist (NXDOMAIN); 'no-data': it exists
 * but has no record of that type; 'timeout': no answer in time; 'failure': SERVFAIL, REFUSED,
 * unreachable servers, a malformed answer.
 */
export type DnsErrorKind = 'not-found' | 'no-data' | 'timeout' | 'failure';

export class DnsError extends Error {
  override readonly name = 'DnsError';

  constructor(readonly kind: DnsErrorKind, readonly query: string, readonly type: string, readonly code?: string) {
    super(`DNS ${type} ${query}: ${DESCRIPTIONS[kind]}${code ? ` (${code})` : ''}`);
  }

  /** True when the name has no such record, as opposed to not knowing. */
  get isAbsent(): boolean {
    return this.kind === 'not-found' || this.kind === 'no-data';
  }
}

const DESCRIPTIONS: Record<DnsErrorKind, string> = {
  'not-found': 'no such name', 'no-data': 'no record of this type', timeout: 'no answer in time', failure: 'lookup failed',
};

export interface SrvAnswer {
  name: string;
  priority: number;
  weight: number;
  port: number;
  /** host name without the final dot; '.' (RFC 2782: the service is decidedly not available) stays '.' */
  target: string;
}

export interface AddressAnswer {
  address: string;
  family: 4 | 6;
  ttl: number;
}

interface CacheEntry {
  expires: number;
  value?: unknown;
  error?: DnsError;
}

export class DnsResolver {
  private readonly resolver: Resolver;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(readonly settings: DnsSettings = DNS_DEFAULTS, private readonly now: () => number = Date.now) {
    this.resolver = new Resolver({ timeout: Math.max(50, Math.floor(settings.timeoutMs / settings.tries)), tries: settings.tries });
    if (settings.servers.length > 0) this.resolver.setServers(settings.servers);
  }

  /** The servers asked, as `address:port` (the system's when none are configured). */
  servers(): string[] {
    return this.resolver.getServers();
  }

  /** SRV records of `_service._tcp.domain` (e.g. service '_xmpp-server'), unordered. */
  srv(service: string, domain: string): Promise<SrvAnswer[]> {
    const name = `${service}._tcp.${dnsName(domain)}`;
    return this.cached('SRV', name, async () => {
      const records = await this.resolver.resolveSrv(name);
      const answers = records.map((record) => ({ ...record, target: record.name === '' || record.name === '.' ? '.' : record.name.replace(/\.$/, ''), name }));
      return { value: answers, ttl: this.settings.srvCacheSeconds };
    });
  }

  /** A or AAAA records of a host, with their TTLs. */
  addresses(host: string, family: 4 | 6): Promise<AddressAnswer[]> {
    const name = dnsName(host);
    return this.cached(family === 4 ? 'A' : 'AAAA', name, async () => {
      const records = family === 4 ? await this.resolver.resolve4(name, { ttl: true }) : await this.resolver.resolve6(name, { ttl: true });
      const answers = records.map(({ address, ttl }) => ({ address, family, ttl }));
      return { value: answers, ttl: Math.min(...answers.map((answer) => answer.ttl)) };
    });
  }

  /**
   * A and AAAA of a host together, interleaved IPv6/IPv4 (RFC 8305 §4). An IP literal is its own
   * address. Rejects only when neither family gave an address (with the more telling error).
   */
  async hostAddresses(host: string): Promise<AddressAnswer[]> {
    const literal = net.isIP(host.replace(/^\[|\]$/g, ''));
    if (literal) return [{ address: host.replace(/^\[|\]$/g, ''), family: literal as 4 | 6, ttl: 0 }];
    const [v6, v4] = await Promise.allSettled([this.addresses(host, 6), this.addresses(host, 4)]);
    const six = v6.status === 'fulfilled' ? v6.value : [];
    const four = v4.status === 'fulfilled' ? v4.value : [];
    if (six.length + four.length === 0) {
      const errors = [v4, v6].flatMap((result) => (result.status === 'rejected' ? [result.reason as DnsError] : []));
      throw mostTelling(errors) ?? new DnsError('no-data', dnsName(host), 'A/AAAA');
    }
    const interleaved: AddressAnswer[] = [];
    for (let i = 0; i < Math.max(six.length, four.length); i++) {
      if (six[i]) interleaved.push(six[i]!);
      if (four[i]) interleaved.push(four[i]!);
    }
    return interleaved;
  }

  /** Forget every cached answer (tests; an admin changing the zone and checking again). */
  clear(): void {
    this.cache.clear();
  }

  private cached<T>(type: string, name: string, query: () => Promise<{ value: T; ttl: number }>): Promise<T> {
    const key = `${type} ${name}`;
    const hit = this.cache.get(key);
    if (hit && hit.expires > this.now()) {
      return hit.error ? Promise.reject(hit.error) : Promise.resolve(hit.value as T);
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending as Promise<T>;
    const lookup = this.withDeadline(type, name, query).then(({ value, ttl }) => {
      this.remember(key, { expires: this.now() + this.cacheMs(ttl), value });
      return value;
    }, (error: unknown) => {
      const dnsError = error instanceof DnsError ? error : toDnsError(error, name, type);
      if (dnsError.isAbsent) this.remember(key, { expires: this.now() + this.cacheMs(this.settings.negativeCacheSeconds), error: dnsError });
      throw dnsError;
    }).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, lookup);
    return lookup;
  }

  /** c-ares retries with growing timeouts; this caps the whole lookup at timeoutMs whatever it does. */
  private withDeadline<T>(type: string, name: string, query: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DnsError('timeout', name, type, 'ETIMEOUT')), this.settings.timeoutMs);
    });
    return Promise.race([query(), deadline]).finally(() => clearTimeout(timer));
  }

  private cacheMs(ttlSeconds: number): number {
    return Math.max(0, Math.min(ttlSeconds, this.settings.maxCacheSeconds)) * 1000;
  }

  private remember(key: string, entry: CacheEntry): void {
    if (entry.expires <= this.now()) return;
    this.cache.delete(key); // re-inserted at the end: the Map's order is the eviction order
    this.cache.set(key, entry);
    if (this.cache.size > this.settings.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }
}

/** The name as DNS asks it: A-labels (IDNA, as tls/certificates.ts names files), lower case, no final dot. */
export function dnsName(domain: string): string {
  const trimmed = domain.replace(/\.$/, '');
  return (domainToASCII(trimmed) || trimmed).toLowerCase();
}

function toDnsError(error: unknown, name: string, type: string): DnsError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOTFOUND': return new DnsError('not-found', name, type, code);
    case 'ENODATA': return new DnsError('no-data', name, type, code);
    case 'ETIMEOUT': return new DnsError('timeout', name, type, code);
    default: return new DnsError('failure', name, type, code ?? String(error));
  }
}

const TELLING: DnsErrorKind[] = ['timeout', 'failure', 'not-found', 'no-data'];

/** Of several errors, the one that says most about why nothing was found. */
export function mostTelling(errors: DnsError[]): DnsError | undefined {
  return [...errors].sort((a, b) => TELLING.indexOf(a.kind) - TELLING.indexOf(b.kind))[0];
}
