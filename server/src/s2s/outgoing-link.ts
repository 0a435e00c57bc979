// Our stream to a peer for one domain pair (RFC 6120 §3.2, §4–§6; XEP-0220; XEP-0178; XEP-0368):
// find the peer by SRV (or A/AAAA on 5269), connect, STARTTLS, authenticate with SASL EXTERNAL when
// offered, else dialback; then send the stanzas queued meanwhile (bounded) and later ones at once.
// The same stream carries our <db:verify/> questions for peers that claim a domain towards us.
// A peer that cannot be reached in connectTimeoutSeconds gets every queued stanza bounced
// (remote-server-not-found / remote-server-timeout, RFC 6120 §8.3.3.15–16); an idle link closes.
import {
  NS, StanzaError, StreamError, StreamParser, serialize, tryParseJid, xml,
  type Element, type JID, type ParserErrorCondition, type StreamParserHandler,
} from '@parley/shared';
import type { Awaitable } from '../core/events.ts';
import type { RemoteServerOrigin } from '../core/origin.ts';
import type { SecureContext } from 'node:tls';
import { DnsError, ServiceUnavailableError, resolvedTargets, type DnsResolver } from '../dns/index.ts';
import type { Logger } from '../logger.ts';
import type { ConnectionListener } from '../stream/connection.ts';
import { OutgoingTcpConnection, type ClientTlsOptions } from '../transport/tcp-outgoing.ts';
import type { DialbackKeys } from './dialback-key.ts';
import { certificateStatus } from './peer-identity.ts';
import type { FederationPolicy } from './policy.ts';
import type { S2sSettings } from './services.ts';
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
  readonly log: Logger;
}

type State = 'connecting' | 'awaiting-header' | 'negotiating' | 'starting-tls' | 'sasl' | 'dialback' | 'ready' | 'closed';

interface PendingVerify {
  readonly element: string;
  readonly id: string;
  sent: boolean;
  resolve(valid: boolean): void;
}

export class OutgoingLink implements ConnectionListener, StreamParserHandler {
  private state: State = 'connecting';
  private connection: OutgoingTcpConnection | null = null;
  private readonly parser: StreamParser;
  private queue: Element[] = [];
  private readonly verifies: PendingVerify[] = [];
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

  constructor(private readonly services: OutgoingLinkServices, readonly local: string, readonly remote: string) {
    this.parser = new StreamParser(this, { mode: 'stream', maxElementSize: services.settings.maxStanzaSize });
    this.connectTimer = setTimeout(() => this.fail(new StanzaError('remote-server-timeout', `${remote} did not answer in time`)),
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

  /** Send a stanza (jabber:client inside Parley, jabber:server on the wire); queued until the link is ready. */
  send(stanza: Element): void {
    if (this.state === 'ready') {
      this.lastActivity = Date.now();
      this.connection!.write(serializeForPeer(stanza));
      return;
    }
    if (this.state === 'closed') return this.services.bounce(stanza, new StanzaError('remote-server-not-found', `the link to ${this.remote} is closed`));
    if (this.queue.length >= this.services.settings.maxQueuedStanzas) {
      return this.services.bounce(stanza, new StanzaError('resource-constraint', `too many stanzas wait for ${this.remote}`, 'wait'));
    }
    this.queue.push(stanza);
  }

  /** XEP-0220 §2.3: ask the peer (authoritative for `remote`) whether it generated `key` for our stream `streamId`. */
  verify(streamId: string, key: string): Promise<boolean> {
    if (this.state === 'closed') return Promise.resolve(false);
    return new Promise((resolve) => {
      const pending: PendingVerify = {
        id: streamId, sent: false, resolve,
        element: dialback('verify', { from: this.local, to: this.remote, id: streamId }, key),
      };
      this.verifies.push(pending);
      if (this.canVerify) this.sendVerifies();
    });
  }

  /** End the link cleanly (idle, shutdown, a policy change); what is queued bounces. */
  close(error?: StreamError): void {
    if (this.state === 'closed') return;
    const connection = this.connection;
    if (connection && this.state !== 'connecting') {
      if (error) connection.write(serialize(error.toElement()));
      connection.write(S2S_FOOTER);
      connection.close();
    }
    this.teardown(new StanzaError('remote-server-not-found', `the link to ${this.remote} was closed`));
  }

  // ---- connecting (RFC 6120 §3.2) ----

  private async connect(): Promise<void> {
    let lastError: unknown = null;
    try {
      for await (const target of resolvedTargets(this.services.dns, this.remote, 'server')) {
        for (const { address } of target.addresses) {
          if (this.state === 'closed') return;
          try {
            const connection = await OutgoingTcpConnection.connect(
              { address, port: target.port, directTls: target.directTls, localAddress: this.services.localAddress },
              this.tlsOptions(target.directTls), this.services.settings.connectTimeoutSeconds * 1000);
            if (this.isClosed) return connection.destroy();
            this.services.log.debug({ remote: this.remote, address, port: target.port, directTls: target.directTls }, 's2s connected');
            this.directTls = target.directTls;
            this.opened(connection);
            return;
          } catch (error) {
            lastError = error;
          }
        }
      }
    } catch (error) {
      lastError = error;
    }
    this.fail(unreachable(this.remote, lastError));
  }

  private tlsOptions(directTls: boolean): ClientTlsOptions {
    return { servername: this.remote, secureContext: this.services.clientContext(this.local), alpnProtocols: directTls ? ['xmpp-server'] : undefined };
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
    this.close(error);
  }

  transportClosed(error?: Error): void {
    if (this.state === 'closed') return;
    this.services.log.debug({ remote: this.remote, err: error?.message }, 's2s link lost');
    this.teardown(new StanzaError('remote-server-not-found', `the connection to ${this.remote} was lost`));
  }

  // ---- parser ----

  onStreamStart(name: string, attrs: Record<string, string>): void {
    if (this.state !== 'awaiting-header') return this.close(new StreamError('bad-format', 'unexpected stream header'));
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream || attrs.xmlns !== NS.server) {
      return this.close(new StreamError('invalid-namespace', 'expected a jabber:server stream'));
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
      this.services.log.info({ remote: this.remote, condition, text: element.getChildText('text', NS.streams) }, 's2s peer sent a stream error');
      return this.teardown(new StanzaError('remote-server-not-found', `${this.remote} ended the stream: ${condition}`));
    }
    if (ns === NS.tls && name === 'proceed' && this.state === 'negotiating') return this.startTls();
    if (ns === NS.sasl && this.state === 'sasl') return this.saslAnswer(name);
    if (ns === S2S_NS.dialback && name === 'result') return this.dialbackAnswer(element);
    if (ns === S2S_NS.dialback && name === 'verify') return this.verifyAnswer(element);
    if (ns === NS.tls && name === 'failure') return this.fail(new StanzaError('remote-server-not-found', `${this.remote} refused TLS`));
    if (ns === NS.server && isStanzaName(element.name)) return this.peerStanza(element);
    this.close(new StreamError('unsupported-stanza-type', `<${element.name}/> is not expected on this stream`));
  }

  onStreamEnd(): void {
    this.close();
  }

  onError(condition: ParserErrorCondition, text: string): void {
    this.close(new StreamError(condition, text));
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
        return this.fail(new StanzaError('remote-server-not-found', `${this.remote} does not offer TLS`));
      }
    }
    if (this.authenticatedBy === 'sasl-external') return this.becomeReady();
    const status = certificateStatus(connection.peerCertificate(), this.remote);
    this.certificateValid = status.valid;
    if (!status.valid && connection.encrypted && this.services.policy.certificates(this.local) === 'require-valid') {
      return this.fail(new StanzaError('remote-server-not-found', `the certificate of ${this.remote} does not verify: ${status.reason}`));
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
    if (!this.bidirectional || this.state !== 'ready') return this.close(new StreamError('not-authorized', 'this stream is not bidirectional'));
    if (this.backlog) {
      this.backlog.push(stanza);
      return;
    }
    const from = tryParseJid(stanza.attrs.from);
    const to = tryParseJid(stanza.attrs.to);
    if (!from || !to) return this.close(new StreamError('improper-addressing', 'stanzas between servers need from and to'));
    if (from.domain !== this.remote) return this.close(new StreamError('invalid-from', `${from.domain} is not authenticated on this stream`));
    if (to.domain !== this.local) return this.close(new StreamError('host-unknown', `this stream is for ${this.local}`));
    this.lastActivity = Date.now();
    stanza.attrs.xmlns = NS.client;
    this.origin ??= Object.freeze({ kind: 's2s', domain: this.remote });
    const routed = this.services.route(stanza, from, to, this.origin);
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
    if (!this.peerOffersDialback) return this.fail(new StanzaError('remote-server-not-found', `no way to authenticate with ${this.remote}`));
    if (!this.certificateValid && this.services.policy.certificates(this.local) === 'require-valid') {
      return this.fail(new StanzaError('remote-server-not-found', `${this.remote} cannot authenticate us without a valid certificate`));
    }
    this.state = 'dialback';
    const key = this.services.keys.generate(this.remote, this.local, this.streamId);
    this.connection!.write(dialback('result', { from: this.local, to: this.remote }, key));
  }

  private dialbackAnswer(result: Element): void {
    if (this.state !== 'dialback' || result.attrs.from !== this.remote || result.attrs.to !== this.local) return;
    if (result.attrs.type === 'valid') {
      this.authenticatedBy = 'dialback';
      return this.becomeReady();
    }
    this.fail(new StanzaError('remote-server-not-found', `${this.remote} did not accept our dialback key (${result.attrs.type ?? 'no type'})`));
  }

  private verifyAnswer(answer: Element): void {
    const index = this.verifies.findIndex((pending) => pending.sent && pending.id === answer.attrs.id);
    if (index === -1) return;
    const [pending] = this.verifies.splice(index, 1);
    pending!.resolve(answer.attrs.type === 'valid' && answer.attrs.from === this.remote && answer.attrs.to === this.local);
  }

  /** <db:verify/> goes out once the stream is open and encrypted (it needs no authentication of ours). */
  private get canVerify(): boolean {
    return this.state === 'sasl' || this.state === 'dialback' || this.state === 'ready'
      || (this.state === 'negotiating' && (this.connection?.encrypted ?? false));
  }

  private sendVerifies(): void {
    for (const pending of this.verifies) {
      if (pending.sent) continue;
      pending.sent = true;
      this.connection!.write(pending.element);
    }
  }

  private becomeReady(): void {
    this.state = 'ready';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
    this.sendVerifies();
    this.services.log.info({ local: this.local, remote: this.remote, how: this.authenticatedBy }, 'outgoing s2s link ready');
    const queue = this.queue;
    this.queue = [];
    for (const stanza of queue) this.connection!.write(serializeForPeer(stanza));
    this.lastActivity = Date.now();
    const idleMs = this.services.settings.idleSeconds * 1000;
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastActivity >= idleMs) this.close();
    }, Math.max(250, Math.floor(idleMs / 4)));
    this.idleTimer.unref();
  }

  // ---- the end ----

  private fail(error: StanzaError): void {
    if (this.state === 'closed') return;
    this.services.log.info({ local: this.local, remote: this.remote, condition: error.condition, text: error.text }, 's2s link failed');
    const connection = this.connection;
    if (connection) {
      connection.write(S2S_FOOTER);
      connection.close();
    }
    this.teardown(error);
  }

  private teardown(error: StanzaError): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    const queue = this.queue;
    this.queue = [];
    for (const pending of this.verifies.splice(0)) pending.resolve(false);
    this.services.closed(this);
    for (const stanza of queue) this.services.bounce(stanza, error);
  }
}

/** Why a peer could not be reached, as the stanza error its senders get (RFC 6120 §8.3.3.15–16). */
function unreachable(remote: string, error: unknown): StanzaError {
  if (error instanceof DnsError && error.kind === 'timeout') return new StanzaError('remote-server-timeout', `DNS for ${remote} did not answer in time`);
  if (error instanceof ServiceUnavailableError) return new StanzaError('remote-server-not-found', error.message);
  if (error instanceof DnsError) return new StanzaError('remote-server-not-found', `${remote} cannot be found in DNS`);
  const text = error instanceof Error ? error.message : 'no address answered';
  return new StanzaError('remote-server-not-found', `${remote} cannot be reached: ${text}`);
}
