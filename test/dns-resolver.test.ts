// The resolver path (server/src/dns/) against a real DNS server: Debian's unbound on a loopback
// port (test/helpers/unbound.ts), reached through config-style `dns.servers` with a port.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../server/src/config.ts';
import {
  DnsError, DnsResolver, resolvedTargets, resolveServerTargets, resolveTargets, ServiceUnavailableError, serviceTargets,
} from '../server/src/dns/index.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';
import { startServer } from './helpers/server.ts';
import { acceptsTcp } from './helpers/processes.ts';

let dns: TestDns;

beforeAll(async () => {
  dns = await startDns({
    // XEP-0368: direct TLS and STARTTLS records mixed; two priorities
    'mixed.test': [
      '_xmpps-server._tcp.mixed.test. 300 IN SRV 5 0 5270 tls.mixed.test.',
      '_xmpp-server._tcp.mixed.test. 300 IN SRV 10 0 5269 starttls.mixed.test.',
      '_xmpp-server._tcp.mixed.test. 300 IN SRV 20 0 5269 backup.mixed.test.',
      '_xmpp-client._tcp.mixed.test. 300 IN SRV 5 0 5222 starttls.mixed.test.',
      'tls.mixed.test. 300 IN A 127.0.0.41',
      'starttls.mixed.test. 120 IN A 127.0.0.42',
      'starttls.mixed.test. 120 IN AAAA ::1',
      'backup.mixed.test. 300 IN A 127.0.0.43',
    ],
    // no SRV at all: the A record of the domain on 5269
    'plain.test': ['plain.test. 300 IN A 127.0.0.44'],
    // RFC 2782: "." = the service is decidedly not available
    'nothere.test': ['_xmpp-server._tcp.nothere.test. 300 IN SRV 0 0 0 .'],
    // the first target has no address: skipped
    'dangling.test': [
      '_xmpp-server._tcp.dangling.test. 300 IN SRV 0 0 5269 ghost.dangling.test.',
      '_xmpp-server._tcp.dangling.test. 300 IN SRV 1 0 5269 real.dangling.test.',
      'real.dangling.test. 300 IN A 127.0.0.45',
    ],
    // drops every query
    'blackhole.test': 'deny',
    'refused.test': 'refuse',
  });
});

afterAll(async () => {
  await dns?.stop();
});

function resolver(overrides: Partial<ReturnType<typeof configSchema.parse>['dns']> = {}): DnsResolver {
  const settings = configSchema.parse({ dns: { servers: [dns.server], timeoutMs: 1500, ...overrides } }).dns;
  return new DnsResolver(settings);
}

describe('DNS resolver (dns.Resolver with configured servers)', () => {
  it('asks the configured server on its port, also the running server\'s resolver (ctx.dns)', async () => {
    expect(resolver().servers()).toEqual([dns.server]);
    // on its own loopback address (bind), as a server beside federation peers sits
    const server = await startServer({ config: { bind: '127.0.0.10', dns: { servers: [dns.server] } } });
    try {
      expect(await acceptsTcp('127.0.0.10', server.ports.c2s)).toBe(true);
      expect(await acceptsTcp('127.0.0.1', server.ports.c2s)).toBe(false);
      expect(server.server.dns.servers()).toEqual([dns.server]);
      expect((await resolveServerTargets(server.server.dns, 'plain.test'))[0]!.addresses[0]!.address).toBe('127.0.0.44');
    } finally {
      await server.stop();
    }
  });

  it('orders _xmpps-server and _xmpp-server records as one set by priority (XEP-0368 §3, RFC 2782)', async () => {
    const targets = await resolveServerTargets(resolver(), 'mixed.test');
    expect(targets.map(({ host, port, directTls, service }) => ({ host, port, directTls, service }))).toEqual([
      { host: 'tls.mixed.test', port: 5270, directTls: true, service: '_xmpps-server' },
      { host: 'starttls.mixed.test', port: 5269, directTls: false, service: '_xmpp-server' },
      { host: 'backup.mixed.test', port: 5269, directTls: false, service: '_xmpp-server' },
    ]);
    expect(targets[0]!.addresses).toEqual([{ address: '127.0.0.41', family: 4, ttl: 300 }]);
    // both families, IPv6 first (RFC 8305 §4), with their TTLs
    expect(targets[1]!.addresses).toEqual([{ address: '::1', family: 6, ttl: 120 }, { address: '127.0.0.42', family: 4, ttl: 120 }]);
  });

  it('finds client targets the same way, falling back to 5222', async () => {
    const client = await resolveTargets(resolver(), 'mixed.test', 'client');
    expect(client.map((t) => `${t.host}:${t.port}`)).toEqual(['starttls.mixed.test:5222']);
    const fallback = await resolveTargets(resolver(), 'plain.test', 'client');
    expect(fallback.map((t) => `${t.host}:${t.port}:${t.service}`)).toEqual(['plain.test:5222:fallback']);
  });

  it('falls back to the domain\'s A/AAAA on 5269 without SRV records (RFC 6120 §3.2.2)', async () => {
    const targets = await resolveServerTargets(resolver(), 'plain.test');
    expect(targets).toEqual([{
      host: 'plain.test', port: 5269, directTls: false, service: 'fallback', priority: 0, weight: 0,
      addresses: [{ address: '127.0.0.44', family: 4, ttl: 300 }],
    }]);
  });

  it('does not fall back when the SRV target is "."', async () => {
    await expect(serviceTargets(resolver(), 'nothere.test', 'server')).rejects.toBeInstanceOf(ServiceUnavailableError);
  });

  it('skips a target without addresses and yields the next', async () => {
    const seen: string[] = [];
    for await (const target of resolvedTargets(resolver(), 'dangling.test', 'server')) seen.push(target.host);
    expect(seen).toEqual(['real.dangling.test']);
  });

  it('says "not-found" for a domain that does not exist', async () => {
    const error = await resolveServerTargets(resolver(), 'nowhere.mixed.test').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DnsError);
    expect((error as DnsError).kind).toBe('not-found');
  });

  it('fails a domain whose DNS never answers within the configured time (a timeout, not a fallback)', async () => {
    const started = Date.now();
    const error = await resolveServerTargets(resolver({ timeoutMs: 1000 }), 'example.blackhole.test').catch((e: unknown) => e);
    const took = Date.now() - started;
    expect(error).toBeInstanceOf(DnsError);
    expect((error as DnsError).kind).toBe('timeout');
    // SRV lookups in parallel, then no address lookups: one timeout, with room for a loaded machine
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(4000);
  });

  it('with the default settings, a domain whose DNS never answers fails well within 30 s', async () => {
    const settings = configSchema.parse({ dns: { servers: [dns.server] } }).dns;
    const started = Date.now();
    const error = await resolveServerTargets(new DnsResolver(settings), 'other.blackhole.test').catch((e: unknown) => e);
    expect((error as DnsError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(settings.timeoutMs + 3000);
    expect(settings.timeoutMs + 3000).toBeLessThan(30_000);
  });

  it('reports a refusing server as a failure', async () => {
    const error = await resolver().hostAddresses('x.refused.test').catch((e: unknown) => e);
    expect((error as DnsError).kind).toBe('failure');
  });

  it('caches answers by TTL: a changed zone is seen only when the cached answer expires', async () => {
    await dns.setZone('cache.test', ['host.cache.test. 2 IN A 127.0.0.50', '_xmpp-server._tcp.cache.test. 2 IN SRV 0 0 5269 host.cache.test.']);
    const cached = resolver({ srvCacheSeconds: 1 });
    expect((await cached.hostAddresses('host.cache.test'))[0]!.address).toBe('127.0.0.50');
    expect((await cached.srv('_xmpp-server', 'cache.test'))[0]!.port).toBe(5269);
    await dns.setZone('cache.test', ['host.cache.test. 2 IN A 127.0.0.51', '_xmpp-server._tcp.cache.test. 2 IN SRV 0 0 5999 host.cache.test.']);
    expect((await cached.hostAddresses('host.cache.test'))[0]!.address).toBe('127.0.0.50'); // TTL 2 s: still cached
    expect((await cached.srv('_xmpp-server', 'cache.test'))[0]!.port).toBe(5269);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    expect((await cached.hostAddresses('host.cache.test'))[0]!.address).toBe('127.0.0.51');
    expect((await cached.srv('_xmpp-server', 'cache.test'))[0]!.port).toBe(5999);
    // a fresh resolver sees the new zone at once
    expect((await resolver().hostAddresses('host.cache.test'))[0]!.address).toBe('127.0.0.51');
  });

  it('caches "no such name" for negativeCacheSeconds', async () => {
    const cached = resolver({ negativeCacheSeconds: 60 });
    await expect(cached.hostAddresses('late.cache.test')).rejects.toBeInstanceOf(DnsError);
    await dns.setZone('cache.test', ['late.cache.test. 60 IN A 127.0.0.52']);
    await expect(cached.hostAddresses('late.cache.test')).rejects.toBeInstanceOf(DnsError);
    cached.clear();
    expect((await cached.hostAddresses('late.cache.test'))[0]!.address).toBe('127.0.0.52');
  });

  it('rejects a dns.servers entry that is not an address', () => {
    expect(() => configSchema.parse({ dns: { servers: ['dns.example.com'] } })).toThrow(/IP address/);
    expect(configSchema.parse({ dns: { servers: ['127.0.0.53:5353', '[::1]:5353', '::1'] } }).dns.servers).toHaveLength(3);
  });
});
