// Federation (RFC 6120 server-to-server): the router's RemoteRouter for every domain not served
// here, and the 5269 (and XEP-0368 direct TLS) listeners for peers that connect to us.
//
// Outgoing: one link per (served domain, remote domain) pair, made on the first stanza and reused
// (outgoing-link.ts); a pair whose peer is already reached rides that stream (piggyback.ts,
// XEP-0220 §2.4). Incoming: streams the peers open (incoming-stream.ts). Every link's state goes to
// the log and /metrics (link-monitor.ts, the figures below). Links are this node's
// connections; what every node must agree on — the dialback secret, the per-domain policy — comes
// from shared storage, so a peer may verify a key with any node.
import { StanzaError, StreamError, type Element, type JID } from '@parley/shared';
import type { Config } from '../config.ts';
import type { Awaitable } from '../core/events.ts';
import { SERVER_ORIGIN, type Origin } from '../core/origin.ts';
import type { Routing } from '../core/module-api.ts';
import type { DnsResolver } from '../dns/index.ts';
import type { Logger } from '../logger.ts';
import type { HostTable } from '../router/host-table.ts';
import type { RemoteRouter } from '../router/remote-router.ts';
import type { ServerHub } from '../core/server-events.ts';
import type { CertificateStore } from '../tls/certificates.ts';
import { trustedCertificateAuthorities } from '../tls/trust.ts';
import { ConnectionCounter } from '../transport/connection-limits.ts';
import { listenTcp, type TcpListeners } from '../transport/tcp.ts';
import { DialbackKeys } from './dialback-key.ts';
import { IncomingS2sStream } from './incoming-stream.ts';
import { OutgoingLink } from './outgoing-link.ts';
import { LinkMonitor } from './link-monitor.ts';
import type { PeerLink, PiggybackServices } from './piggyback.ts';
import type { MetricsRegistration } from '../metrics/feature-metrics.ts';
import type { FederationPolicy } from './policy.ts';
import { s2sSettings, type S2sServices } from './services.ts';
import { PeerVerifyingContexts } from './tls-contexts.ts';
import type { StorageBackPressure } from '../stream/input-hold.ts';

export interface FederationOptions {
  readonly config: Config;
  readonly hosts: HostTable;
  readonly router: Pick<Routing, 'route' | 'bounce'>;
  readonly dns: DnsResolver;
  readonly certificates: CertificateStore;
  readonly policy: FederationPolicy;
  /** The per-server secret dialback keys are derived from (s2s/server-secret.ts). */
  readonly secret: string;
  /** host-removed: streams and links of a domain no longer served end (RFC 6120 §4.9.3.5 host-gone). */
  readonly hub: ServerHub;
  readonly log: Logger;
  /** Where the federation's figures go for /metrics. */
  readonly metrics?: MetricsRegistration;
  /** Incoming streams stop reading while the storage is behind (stream/input-hold.ts). */
  readonly backPressure?: StorageBackPressure;
}

export interface FederationStatus {
  outgoing: Array<{
    local: string; remote: string; ready: boolean; authenticatedBy: string | null; directTls: boolean; bidirectional: boolean;
    /** Rides the stream of another pair to the same peer (XEP-0220 §2.4). */
    piggybacked: boolean;
  }>;
  incoming: Array<{ domain: string; remote: string[]; proofs: Record<string, string>; directTls: boolean; bidirectional: boolean }>;
}

export class Federation implements RemoteRouter {
  /** By "local remote": a link of its own or a piggybacked pair. */
  private readonly links = new Map<string, PeerLink>();
  private readonly monitor: LinkMonitor;
  private readonly incoming = new Set<IncomingS2sStream>();
  /** XEP-0288: incoming streams that carry our stanzas too, by "local remote" pair (used before opening a link). */
  private readonly bidirectional = new Map<string, IncomingS2sStream>();
  private readonly services: S2sServices<IncomingS2sStream>;
  private readonly ca: string[] | undefined;
  private readonly contexts: PeerVerifyingContexts;
  private listeners: TcpListeners | null = null;
  private stopped = false;

  constructor(private readonly options: FederationOptions) {
    const { config, hosts, policy, log } = options;
    this.ca = trustedCertificateAuthorities(config.s2s.trustedCaFile);
    this.contexts = new PeerVerifyingContexts(options.certificates, this.ca);
    this.monitor = new LinkMonitor(log);
    if (options.metrics) this.registerMetrics(options.metrics);
    options.hub.on('host-removed', ({ name }) => {
      const gone = new StreamError('host-gone', `${name} is no longer served here`);
      for (const stream of [...this.incoming]) if (stream.domain === name) stream.streamError(gone);
      for (const link of [...this.links.values()]) if (link.local === name) link.close(gone);
    });
    this.services = {
      settings: s2sSettings(config), hosts, policy, keys: new DialbackKeys(options.secret), log, monitor: this.monitor,
      backPressure: options.backPressure,
      verifyDialback: (local, remote, streamId, key) => this.link(local, remote).verify(streamId, key),
      route: (stanza, from, to, origin) => options.router.route(stanza, from, to, origin),
      incomingClosed: (stream) => {
        this.incoming.delete(stream);
        for (const pair of stream.bidirectionalPairs) {
          const [remote, local] = pair.split(' ');
          if (this.bidirectional.get(`${local} ${remote}`) === stream) this.bidirectional.delete(`${local} ${remote}`);
        }
      },
      bidirectionalStream: (stream, remote, local) => {
        if (!this.links.get(`${local} ${remote}`)?.ready) this.bidirectional.set(`${local} ${remote}`, stream);
      },
    };
  }

  /** Listen on s2s.port (STARTTLS) and s2s.tlsPort (direct TLS, ALPN xmpp-server). */
  async listen(): Promise<{ port: number; tlsPort: number | null }> {
    const { config, hosts } = this.options;
    this.listeners = await listenTcp({
      bind: config.bind, port: config.s2s.port, tlsPort: config.s2s.tlsPort, alpnProtocols: ['xmpp-server'],
      tls: { certificates: this.contexts, defaultName: () => hosts.first, requestPeerCertificate: { ca: this.ca } },
      perAddress: new ConnectionCounter(config.s2s.maxLinks), settings: { port: 's2s.port', tlsPort: 's2s.tlsPort' },
      log: this.options.log,
    }, (connection) => {
      const stream = new IncomingS2sStream(this.services, connection);
      this.incoming.add(stream);
      if (this.incoming.size > config.s2s.maxLinks) stream.streamError(new StreamError('policy-violation', 'too many server connections'));
      return stream;
    });
    return { port: this.listeners.port, tlsPort: this.listeners.tlsPort };
  }

  /** RemoteRouter: a stanza for a domain not served here. */
  route(stanza: Element, from: JID, to: JID, origin: Origin): Awaitable {
    const { hosts, policy, router } = this.options;
    // Only stanzas of our own domains leave: a peer's stanza is never relayed to a third server.
    if (!hosts.has(from.domain)) return router.bounce(stanza, new StanzaError('not-allowed', 'this server relays no stanzas between other servers'), origin);
    const local = from.domain;
    const refusal = this.stopped ? 'the server is stopping' : policy.refusal(local, to.domain);
    if (refusal) return router.bounce(stanza, new StanzaError('remote-server-not-found', refusal), origin);
    const pair = `${local} ${to.domain}`;
    const reverse = this.bidirectional.get(pair);
    if (reverse && !this.links.get(pair)?.ready) return reverse.sendStanza(stanza);
    this.link(local, to.domain).send(stanza);
  }

  /** Links and streams now open (admin, tests, the bench). */
  get status(): FederationStatus {
    return {
      outgoing: [...this.links.values()].map((link) => ({
        local: link.local, remote: link.remote, ready: link.ready, authenticatedBy: link.authenticatedBy, directTls: link.directTls,
        bidirectional: link.bidirectional, piggybacked: link.piggybacked,
      })),
      incoming: [...this.incoming].map((stream) => ({ domain: stream.domain, remote: stream.remoteDomains, proofs: stream.proofs, directTls: stream.directTls,
        bidirectional: stream.bidirectionalPairs.length > 0,
      })),
    };
  }

  /** Close links and streams with a peer the policy refuses now (a changed domain setting). */
  enforcePolicy(): void {
    const { policy } = this.options;
    for (const link of [...this.links.values()]) {
      if (policy.refusal(link.local, link.remote)) link.close(new StreamError('policy-violation', 'federation with this domain was turned off'));
    }
    for (const stream of [...this.incoming]) {
      if (stream.remoteDomains.some((remote) => policy.refusal(stream.domain, remote))) {
        stream.streamError(new StreamError('policy-violation', 'federation with this domain was turned off'));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const link of [...this.links.values()]) link.close(new StreamError('system-shutdown', 'the server is stopping'));
    for (const stream of [...this.incoming]) stream.streamError(new StreamError('system-shutdown', 'the server is stopping'));
    await this.listeners?.close();
  }

  /** The pair's link: the one open, a ride on a stream already up to the same peer, or a new link. */
  private link(local: string, remote: string): PeerLink {
    const key = `${local} ${remote}`;
    const open = this.links.get(key);
    if (open && !open.isClosed) return open;
    for (const carrier of this.links.values()) {
      if (!(carrier instanceof OutgoingLink) || !carrier.canCarry(local, remote)) continue;
      const pair = carrier.carry(local, remote, this.piggybackServices(key));
      this.links.set(key, pair);
      return pair;
    }
    return this.ownLink(local, remote);
  }

  private ownLink(local: string, remote: string): OutgoingLink {
    const key = `${local} ${remote}`;
    const { config, dns, router, log } = this.options;
    const link = new OutgoingLink({
      settings: this.services.settings, dns, keys: this.services.keys, policy: this.options.policy, monitor: this.monitor,
      clientContext: (domain) => this.contexts.clientContext(domain), localAddress: localAddressOf(config.bind), log,
      bounce: (stanza, error) => void router.bounce(stanza, error, SERVER_ORIGIN),
      route: (stanza, from, to, origin) => router.route(stanza, from, to, origin),
      closed: (closed) => {
        if (this.links.get(key) === closed) this.links.delete(key);
      },
    }, local, remote);
    this.links.set(key, link);
    return link;
  }

  private piggybackServices(key: string): PiggybackServices {
    const { router } = this.options;
    const { settings } = this.services;
    return {
      monitor: this.monitor, maxQueuedStanzas: settings.maxQueuedStanzas, answerTimeoutMs: settings.connectTimeoutSeconds * 1000,
      bounce: (stanza, error) => void router.bounce(stanza, error, SERVER_ORIGIN),
      closed: (closed) => {
        if (this.links.get(key) === closed) this.links.delete(key);
      },
      // the peer would not take the pair on that stream: a link of its own carries what waited
      refused: (pair, waiting) => {
        const link = this.stopped ? null : this.ownLink(pair.local, pair.remote);
        for (const stanza of waiting) {
          if (link) link.send(stanza);
          else void router.bounce(stanza, new StanzaError('remote-server-not-found', 'the server is stopping'), SERVER_ORIGIN);
        }
      },
    };
  }

  /** /metrics: links by direction and state, proven domain pairs, stanzas waiting, links made and failed. */
  private registerMetrics(metrics: MetricsRegistration): void {
    metrics.gauge('parley_s2s_links', "Server-to-server connections of this node by direction and state ('ready': a domain pair proven on it).",
      ['direction', 'state'], () => {
        const counts = { outgoing: { connecting: 0, ready: 0 }, incoming: { connecting: 0, ready: 0 } };
        for (const link of this.links.values()) if (!link.piggybacked) counts.outgoing[link.ready ? 'ready' : 'connecting']++;
        for (const stream of this.incoming) counts.incoming[stream.remoteDomains.length > 0 ? 'ready' : 'connecting']++;
        return (['outgoing', 'incoming'] as const).flatMap((direction) => (['connecting', 'ready'] as const)
          .map((state) => ({ labels: { direction, state }, value: counts[direction][state] })));
      });
    metrics.gauge('parley_s2s_domain_pairs', 'Proven (local, remote) domain pairs on the s2s connections, by direction; more pairs than links: piggybacking.',
      ['direction'], () => {
        let outgoing = 0;
        let incoming = 0;
        for (const link of this.links.values()) if (link.ready) outgoing++;
        for (const stream of this.incoming) incoming += stream.provenPairs;
        return [{ labels: { direction: 'outgoing' }, value: outgoing }, { labels: { direction: 'incoming' }, value: incoming }];
      });
    metrics.gauge('parley_s2s_queued_stanzas', 'Stanzas waiting for an outgoing s2s link (or piggybacked pair) to be ready.', [], () => {
      let queued = 0;
      for (const link of this.links.values()) queued += link.queued;
      return [{ labels: {}, value: queued }];
    });
    metrics.counter('parley_s2s_links_established_total', 'Domain pairs proven on s2s links, by direction and method (EXTERNAL, dialback).',
      ['direction', 'method'], () => this.monitor.established.samples());
    metrics.counter('parley_s2s_link_failures_total', 'S2s links that ended before any domain pair was proven, by direction and reason.',
      ['direction', 'reason'], () => this.monitor.failures.samples());
  }
}

/** Outgoing connections leave from the listening address when it is one (a server placed on 127.0.0.10). */
function localAddressOf(bind: string): string | undefined {
  return bind === '0.0.0.0' || bind === '::' || bind === '' ? undefined : bind;
}
