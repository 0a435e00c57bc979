// Our stream to a peer for one domain pair (RFC 6120 §3.2, §4–§6; XEP-0220; XEP-0178; XEP-0368):
// find the peer by SRV (or A/AAAA on 5269), connect, STARTTLS, authenticate with SASL EXTERNAL when
// offered, else dialback; then send the stanzas queued meanwhile (bounded) and later ones at once.
// The same stream carries our <db:verify/> questions for peers that claim a domain towards us, and
// other domain pairs piggybacked on it (piggyback.ts). Its state changes are logged and counted
// (link-monitor.ts).
// A peer that cannot be reached in connectTimeoutSeconds gets every queued stanza bounced
// (remote-server-not-found / remote-server-timeout, RFC 6120 §8.3.3.15–16); an idle link closes.
import {
  NS, StanzaError, StreamError, StreamParser, serialize, tryParseJid, xml,
  type Element, type JID, type ParserErrorCondition, type StreamParserHandler,
} from '@parley/shared';
import type { Awaitable } from '../core/events.ts';
import type { RemoteServerOrigin } from '../core/origin.ts';
import type { SecureContext } from 'node:tls';
import type { DnsResolver } from '../dns/index.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionListener } from '../stream/connection.ts';
import type { OutgoingTcpConnection } from '../transport/tcp-outgoing.ts';
import { connectToPeer } from './peer-connect.ts';
import type { DialbackKeys } from './dialback-key.ts';
import { certificateStatus } from './peer-identity.ts';
import type { FederationPolicy } from './policy.ts';
import type { S2sSettings } from './services.ts';
import type { LinkFacts, LinkMonitor, OutgoingFailure } from './link-monitor.ts';
import { PiggybackedPair, type Carrier, type PeerLink, type PiggybackServices } from './piggyback.ts';
import { VerifyRequests } from './verify-requests.ts';
import { S2S_FOOTER, S2S_NS, dialback, isStanzaName, localName, s2sHeader, serializeForPeer } from './wire.ts';

export interface OutgoingLinkServices {
  readonly settings: S2sSettings;
  readonly dns: DnsResolver;
  readonly keys: DialbackKeys;
  readonly policy: FederationPolicy;
  /** Our certificate for a served domain (presented to the peer: XEP-0178) with the CAs trusted for peers. */
  clientContext(domain: string): SecureContext;
  /** A stanza the peer sent back on this link (XEP-0288), from its proven domain to ours. */
  route(stanza: Element, from: JID, to: JID, origin: RemoteServerOrigin): Awaitable;
  /** Where we connect from (config.bind when it names one address). */
  readonly localAddress: string | undefined;
  /** The stanzas the link could not deliver go back to their senders with this error. */
  bounce(stanza: Element, error: StanzaError): void;
  closed(link: OutgoingLink): void;
  readonly monitor: LinkMonitor;
  readonly log: Logger;
}

/** How a link ended: a failure before it was up (its bounded reason), or a close (deliberate, by the peer, by error). */
interface Ending {
  readonly reason: OutgoingFailure | 'closed';
  readonly text: string;
  /** It ended with a stream error (logged as a warning). */
  readonly byError: boolean;
}

type State = 'connecting' | 'awaiting-header' | 'negotiating' | 'starting-tls' | 'sasl' | 'dialback' | 'ready' | 'closed';

export class OutgoingLink implements ConnectionListener, StreamParserHandler, PeerLink, Carrier {
  readonly piggybacked = false;
  private state: State = 'connecting';
  private connection: OutgoingTcpConnection | null = null;
  private readonly parser: StreamParser;
  private queue: Element[] = [];
  private readonly verifies = new VerifyRequests();
  private streamId = '';
  private peerOffersDialback = false;
  private externalTried = false;
  private certificateValid = false;
  private connectTimer: NodeJS.Timeout | null;
  private idleTimer: NodeJS.Timeout | null = null;
  private lastActivity = Date.now();
  /** How the link authenticated (logs, tests). */
  authenticatedBy: 'sasl-external' | 'dialback' | null = null;
  /** The target it reached was a direct TLS one (XEP-0368). */
  directTls = false;
  /** XEP-0288: the peer may send its stanzas for us on this link too. */
  bidirectional = false;
  private origin: RemoteServerOrigin | null = null;
  /** Stanzas from the peer waiting while an asynchronous route runs (their order is kept). */
  private backlog: Element[] | null = null;
  /** The address and port reached ('ip:port'), for the logs. */
  private address = '';
  private wasReady = false;
  /** Other domain pairs on this stream (XEP-0220 §2.4), by "local remote". */
  private readonly riders = new Map<string, PiggybackedPair>();
  /** Pairs the peer would not take on this stream: they get links of their own. */
  private readonly declined = new Set<string>();

  constructor(private readonly services: OutgoingLinkServices, readonly local: string, readonly remote: string) {
    this.parser = new StreamParser(this, { mode: 'stream', maxElementSize: services.settings.maxStanzaSize });
    this.connectTimer = setTimeout(() => this.fail(new StanzaError('remote-server-timeout', `${remote} did not answer in time`), 'timeout'),
      services.settings.connectTimeoutSeconds * 1000);
    this.connectTimer.unref();
    void this.connect();
  }

  get ready(): boolean {
    return this.state === 'ready';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  get queued(): number {
    return this.queue.length;
  }

  /** What the logs say of this link. */
  facts(): LinkFacts {
    const method = this.authenticatedBy === 'sasl-external' ? 'EXTERNAL' : this.authenticatedBy;
    return {
      direction: 'outgoing', local: this.local, remote: this.remote, address: this.address, method,
      tls: this.connection?.encrypted ?? false, directTls: this.directTls,
    };
  }

  // ---- piggybacking (XEP-0220 §2.4) ----

  /**
   * Whether `local` → `remote` may ride this stream: it is up, the peer speaks dialback, and the
   * peer is `remote`'s server — the domain this stream reached, or one its certificate is valid for
   * (RFC 6125). `local`'s policy must accept this peer as its own link would (require-valid).
   */
  canCarry(local: string, remote: string): boolean {
    if (this.state !== 'ready' || !this.peerOffersDialback || this.declined.has(`${local} ${remote}`)) return false;
    if (local === this.local && remote === this.remote) return false;
    if (remote !== this.remote && !certificateStatus(this.connection!.peerCertificate(), remote).valid) return false;
    return this.certificateValid || this.services.policy.certificates(local) !== 'require-valid';
  }

  /** Put `local` → `remote` on this stream (canCarry first); `refused` gets its stanzas when the peer declines. */
  carry(local: string, remote: string, services: PiggybackServices): PiggybackedPair {
    const key = `${local} ${remote}`;
    const pair = new PiggybackedPair(this, {
      ...services,
      refused: (declined, waiting) => {
        this.declined.add(key);
        services.refused(declined, waiting);
      },
      closed: (closed) => {
        if (this.riders.get(key) === closed) this.riders.delete(key);
        services.closed(closed);
      },
    }, local, remote);
    this.riders.set(key, pair);
    return pair;
  }

  sendDialbackResult(local: string, remote: string): void {
    this.connection!.write(dialback('result', { from: local, to: remote }, this.services.keys.generate(remote, local, this.streamId)));
  }

  writeStanza(stanza: Element): void {
    this.lastActivity = Date.now();
    this.connection!.write(serializeForPeer(stanza));
  }

  /** Send a stanza (jabber:client inside Parley, jabber:server on the wire); queued until the link is ready. */
  send(stanza: Element): void {
    if (this.state === 'ready') return this.writeStanza(stanza);
    if (this.state === 'closed') return this.services.bounce(stanza, new StanzaError('remote-server-not-found', `the link to ${this.remote} is closed`));
    if (this.queue.length >= this.services.settings.maxQueuedStanzas) {
      return this.services.bounce(stanza, new StanzaError('resource-constraint', `too many stanzas wait for ${this.remote}`, 'wait'));
    }
    this.queue.push(stanza);
  }

  /** XEP-0220 §2.3: ask the peer (authoritative for `remote`) whether it generated `key` for our stream `streamId`. */
  verify(streamId: string, key: string, local = this.local, remote = this.remote): Promise<boolean> {
    if (this.state === 'closed') return Promise.resolve(false);
    const answer = this.verifies.ask(streamId, key, local, remote);
    if (this.canVerify) this.sendVerifies();
    return answer;
  }

  /** End the link cleanly (idle, shutdown, a policy change); what is queued bounces. */
  close(error?: StreamError, why = error?.text ?? 'closed'): void {
    this.end(error, { reason: 'closed', text: why, byError: false });
  }

  /** Our stream error for what the peer sent (bad XML, a wrong header, an unexpected element). */
  private refuse(error: StreamError): void {
    this.end(error, { reason: 'protocol', text: `${error.condition}: ${error.text ?? ''}`.trim(), byError: true });
  }

  private end(error: StreamError | undefined, ending: Ending): void {
    if (this.state === 'closed') return;
    const connection = this.connection;
    if (connection && this.state !== 'connecting') {
      if (error) connection.write(serialize(error.toElement()));
      connection.write(S2S_FOOTER);
      connection.close();
    }
    this.teardown(new StanzaError('remote-server-not-found', `the link to ${this.remote} was closed`), ending);
  }

  // ---- connecting (RFC 6120 §3.2) ----

  private async connect(): Promise<void> {
    const { settings, dns, localAddress } = this.services;
    const reached = await connectToPeer({
      dns, local: this.local, remote: this.remote, secureContext: this.services.clientContext(this.local), localAddress,
      timeoutMs: settings.connectTimeoutSeconds * 1000, abandoned: () => this.isClosed,
    });
    if (!reached) return;
    if ('error' in reached) return this.fail(reached.error, reached.reason);
    this.directTls = reached.directTls;
    this.address = reached.address;
    this.opened(reached.connection);
  }

  private opened(connection: OutgoingTcpConnection): void {
    this.connection = connection;
    connection.listener = this;
    this.sendHeader();
  }

  private sendHeader(): void {
    this.state = 'awaiting-header';
    this.connection!.write(s2sHeader({ from: this.local, to: this.remote }));
  }

  // ---- transport ----

  receive(text: string): void {
    if (this.state === 'closed' || this.state === 'starting-tls') return;
    this.lastActivity = Date.now();
    this.parser.write(text);
  }

  inputRejected(error: StreamError): void {
    this.refuse(error);
  }

  transportClosed(error?: Error): void {
    if (this.state === 'closed') return;
    this.teardown(new StanzaError('remote-server-not-found', `the connection to ${this.remote} was lost`),
      { reason: 'connection-lost', text: `the connection was lost${error ? `: ${error.message}` : ''}`, byError: true });
  }

  // ---- parser ----

  onStreamStart(name: string, attrs: Record<string, string>): void {
    if (this.state !== 'awaiting-header') return this.refuse(new StreamError('bad-format', 'unexpected stream header'));
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream || attrs.xmlns !== NS.server) {
      return this.refuse(new StreamError('invalid-namespace', 'expected a jabber:server stream'));
    }
    this.streamId = attrs.id ?? '';
    this.peerOffersDialback = attrs['xmlns:db'] === S2S_NS.dialback;
    this.state = 'negotiating';
  }

  onElement(element: Element): void {
    const ns = element.getNS();
    const name = localName(element);
    if (ns === NS.stream && name === 'features') return this.features(element);
    if (ns === NS.stream && name === 'error') {
      const condition = element.getChildElements().find((child) => child.attrs.xmlns === NS.streams)?.name ?? 'undefined-condition';
      const text = element.getChildText('text', NS.streams);
      return this.teardown(new StanzaError('remote-server-not-found', `${this.remote} ended the stream: ${condition}`),
        { reason: 'stream-error', text: `the peer's stream error: ${condition}${text ? ` (${text})` : ''}`, byError: true });
    }
    if (ns === NS.tls && name === 'proceed' && this.state === 'negotiating') return this.startTls();
    if (ns === NS.sasl && this.state === 'sasl') return this.saslAnswer(name);
    if (ns === S2S_NS.dialback && name === 'result') return this.dialbackAnswer(element);
    if (ns === S2S_NS.dialback && name === 'verify') return this.verifies.answer(element);
    if (ns === NS.tls && name === 'failure') return this.fail(new StanzaError('remote-server-not-found', `${this.remote} refused TLS`), 'tls');
    if (ns === NS.server && isStanzaName(element.name)) return this.peerStanza(element);
    this.refuse(new StreamError('unsupported-stanza-type', `<${element.name}/> is not expected on this stream`));
  }

  onStreamEnd(): void {
    this.end(undefined, { reason: 'connection-lost', text: 'the peer closed the stream', byError: false });
  }

  onError(condition: ParserErrorCondition, text: string): void {
    this.refuse(new StreamError(condition, text));
  }

  // ---- negotiation ----

  private features(features: Element): void {
    if (this.state === 'ready') return;
    const connection = this.connection!;
    if (!connection.encrypted) {
      if (features.getChild('starttls', NS.tls)) {
        connection.write(serialize(xml('starttls', { xmlns: NS.tls })));
        return;
      }
      if (this.services.settings.requireEncryption || !connection.isLoopback) {
        return this.fail(new StanzaError('remote-server-not-found', `${this.remote} does not offer TLS`), 'tls');
      }
    }
    if (this.authenticatedBy === 'sasl-external') return this.becomeReady();
    const status = certificateStatus(connection.peerCertificate(), this.remote);
    this.certificateValid = status.valid;
    if (!status.valid && connection.encrypted && this.services.policy.certificates(this.local) === 'require-valid') {
      return this.fail(new StanzaError('remote-server-not-found', `the certificate of ${this.remote} does not verify: ${status.reason}`), 'certificate');
    }
    this.sendVerifies();
    // XEP-0288 §2: ask for a bidirectional stream before authenticating, but only towards a peer
    // whose certificate proves its domain: its stanzas on our stream are then as proven as ours.
    if (!this.bidirectional && this.certificateValid && features.getChild('bidi', S2S_NS.bidiFeature)) {
      this.bidirectional = true;
      connection.write(serialize(xml('bidi', { xmlns: S2S_NS.bidi })));
    }
    const mechanisms = features.getChild('mechanisms', NS.sasl);
    const external = mechanisms?.getChildren('mechanism').some((mechanism) => mechanism.text().trim() === 'EXTERNAL') ?? false;
    if (features.getChild('dialback', S2S_NS.dialbackFeature)) this.peerOffersDialback = true;
    if (external && !this.externalTried && this.certificateValid) {
      // XEP-0178 §3: EXTERNAL with our domain as the authorization identity.
      this.externalTried = true;
      this.state = 'sasl';
      connection.write(serialize(xml('auth', { xmlns: NS.sasl, mechanism: 'EXTERNAL' }, Buffer.from(this.local).toString('base64'))));
      return;
    }
    this.startDialback();
  }

  /** XEP-0288: a stanza from the peer on our stream, accepted only once bidi was agreed and the link is ready. */
  private peerStanza(stanza: Element): void {
    if (!this.bidirectional || this.state !== 'ready') return this.refuse(new StreamError('not-authorized', 'this stream is not bidirectional'));
    if (this.backlog) {
      this.backlog.push(stanza);
      return;
    }
    const from = tryParseJid(stanza.attrs.from);
    const to = tryParseJid(stanza.attrs.to);
    if (!from || !to) return this.refuse(new StreamError('improper-addressing', 'stanzas between servers need from and to'));
    // the stream's own pair, or one piggybacked on it (its stanzas are as proven as ours)
    const pair = from.domain === this.remote && to.domain === this.local;
    if (!pair && !this.riders.get(`${to.domain} ${from.domain}`)?.ready) {
      if (from.domain !== this.remote) return this.refuse(new StreamError('invalid-from', `${from.domain} is not authenticated on this stream`));
      return this.refuse(new StreamError('host-unknown', `this stream is for ${this.local}`));
    }
    this.lastActivity = Date.now();
    stanza.attrs.xmlns = NS.client;
    this.origin ??= Object.freeze({ kind: 's2s', domain: this.remote });
    const origin: RemoteServerOrigin = pair ? this.origin : Object.freeze({ kind: 's2s', domain: from.domain });
    const routed = this.services.route(stanza, from, to, origin);
    if (!(routed instanceof Promise)) return;
    this.backlog = [];
    routed.catch((error: unknown) => this.services.log.error({ err: error, remote: this.remote }, 'routing a stanza from a peer failed'))
      .finally(() => {
        const waiting = this.backlog ?? [];
        this.backlog = null;
        for (const next of waiting) if (this.state === 'ready') this.peerStanza(next);
      });
  }

  private startTls(): void {
    this.state = 'starting-tls';
    this.connection!.startTls(() => {
      this.parser.reset();
      this.sendHeader();
    });
  }

  private saslAnswer(name: string): void {
    if (name === 'success') {
      this.authenticatedBy = 'sasl-external';
      // RFC 6120 §6.4.6: a new stream after success.
      this.parser.reset();
      this.sendHeader();
      return;
    }
    this.services.log.debug({ remote: this.remote }, 'SASL EXTERNAL refused; trying dialback');
    this.startDialback();
  }

  private startDialback(): void {
    if (!this.peerOffersDialback) return this.fail(new StanzaError('remote-server-not-found', `no way to authenticate with ${this.remote}`), 'authentication');
    if (!this.certificateValid && this.services.policy.certificates(this.local) === 'require-valid') {
      return this.fail(new StanzaError('remote-server-not-found', `${this.remote} cannot authenticate us without a valid certificate`), 'certificate');
    }
    this.state = 'dialback';
    const key = this.services.keys.generate(this.remote, this.local, this.streamId);
    this.connection!.write(dialback('result', { from: this.local, to: this.remote }, key));
  }

  private dialbackAnswer(result: Element): void {
    if (result.attrs.from !== this.remote || result.attrs.to !== this.local) {
      // the answer for a piggybacked pair (XEP-0220 §2.4)
      return this.riders.get(`${result.attrs.to ?? ''} ${result.attrs.from ?? ''}`)?.answered(result.attrs.type ?? 'no type');
    }
    if (this.state !== 'dialback') return;
    if (result.attrs.type === 'valid') {
      this.authenticatedBy = 'dialback';
      return this.becomeReady();
    }
    this.fail(new StanzaError('remote-server-not-found', `${this.remote} did not accept our dialback key (${result.attrs.type ?? 'no type'})`), 'authentication');
  }

  /** <db:verify/> goes out once the stream is open and encrypted (it needs no authentication of ours). */
  private get canVerify(): boolean {
    return this.state === 'sasl' || this.state === 'dialback' || this.state === 'ready'
      || (this.state === 'negotiating' && (this.connection?.encrypted ?? false));
  }

  private sendVerifies(): void {
    this.verifies.sendWaiting((xml) => this.connection!.write(xml));
  }

  private becomeReady(): void {
    this.state = 'ready';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.sendVerifies();
    this.wasReady = true;
    this.services.monitor.up(this.facts());
    const queue = this.queue;
    this.queue = [];
    for (const stanza of queue) this.connection!.write(serializeForPeer(stanza));
    this.lastActivity = Date.now();
    const idleMs = this.services.settings.idleSeconds * 1000;
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastActivity >= idleMs) this.close(undefined, `idle for ${this.services.settings.idleSeconds} s`);
    }, Math.max(250, Math.floor(idleMs / 4)));
    this.idleTimer.unref();
  }

  // ---- the end ----

  private fail(error: StanzaError, reason: OutgoingFailure): void {
    if (this.state === 'closed') return;
    const connection = this.connection;
    if (connection) {
      connection.write(S2S_FOOTER);
      connection.close();
    }
    this.teardown(error, { reason, text: error.text ?? error.condition, byError: true });
  }

  private teardown(error: StanzaError, ending: Ending): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    const { monitor } = this.services;
    if (this.wasReady) monitor.down(this.facts(), ending.text, ending.byError);
    else if (ending.reason === 'closed') monitor.abandoned(this.facts(), ending.text);
    else monitor.failed(this.facts(), ending.reason, ending.text);
    for (const rider of [...this.riders.values()]) rider.carrierClosed(error, ending.text, ending.byError);
    const queue = this.queue;
    this.queue = [];
    this.verifies.failAll();
    this.services.closed(this);
    for (const stanza of queue) this.services.bounce(stanza, error);
  }
}
