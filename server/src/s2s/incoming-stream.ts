// A stream a peer server opened to us (RFC 6120 on jabber:server, port 5269 or direct TLS): STARTTLS
// (required by default), then the peer proves its domain by SASL EXTERNAL with a certificate that
// verifies for it (XEP-0178) or by dialback (XEP-0220, with piggybacked domain pairs); this stream
// also answers <db:verify/> for keys we generated. Stanzas are routed only for domain pairs the peer
// proved; anything else ends the stream with the RFC 6120 §4.9.3 condition. Each proven pair going
// up and down, and a stream that ends without proving one, is logged and counted (link-monitor.ts).
import { randomBytes } from 'node:crypto';
import {
  NS, StanzaError, StreamError, StreamParser, normalizeDomain, serialize, tryParseJid, xml,
  type Element, type ParserErrorCondition, type StreamParserHandler,
} from '@parley/shared';
import { InputHold } from '../stream/input-hold.ts';
import type { RemoteServerOrigin } from '../core/origin.ts';
import type { AcceptedStream, Connection } from '../stream/connection.ts';
import { certificateStatus } from './peer-identity.ts';
import { S2S_FOOTER, S2S_NS, dialback, isStanzaName, localName, s2sHeader, serializeForPeer } from './wire.ts';
import type { S2sServices } from './services.ts';
import type { LinkFacts } from './link-monitor.ts';

type State = 'awaiting-header' | 'open' | 'starting-tls' | 'closed';

export class IncomingS2sStream implements AcceptedStream, StreamParserHandler {
  /** The served domain the peer opened the stream to. */
  domain = '';
  /** The domain the peer named in its header (what its certificate is checked for). */
  private peerDomain = '';
  private readonly streamId = randomBytes(12).toString('hex');
  private state: State = 'awaiting-header';
  private headerSent = false;
  private readonly parser: StreamParser;
  /** Proven "remote local" domain pairs (RFC 6120 §13.7.2.3; XEP-0220 §2.4 piggybacking adds more). */
  private readonly pairs = new Set<string>();
  /** One origin object per proven remote domain (routing allocates none per stanza). */
  private readonly origins = new Map<string, RemoteServerOrigin>();
  private readonly howProven = new Map<string, 'sasl-external' | 'dialback'>();
  private authenticatedBySasl = false;
  /** XEP-0288: the peer asked to take our stanzas for it on this stream. */
  private bidirectional = false;
  private saslFailures = 0;
  private authTimer: NodeJS.Timeout | null;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | null = null;
  /** Stanzas waiting while an asynchronous route runs, so one peer's stanzas keep their order. */
  private backlog: Element[] | null = null;
  /** Stops reading while the storage is behind (the origins' markUncommittedWrite). */
  private readonly inputHold: InputHold;
  /** How the stream ended, for the log: the condition of our stream error or the peer's, or why it closed. */
  private ending: { reason: string; text: string; byError: boolean } | null = null;
  /** Why the peer's last authentication was refused (a stream that proves nothing fails with it). */
  private refusal: string | null = null;
  /** It answered a <db:verify/>: a verify-only stream that proves nothing has not failed. */
  private answeredVerify = false;

  /** The peer connected with TLS at once (XEP-0368), not STARTTLS. */
  readonly directTls: boolean;

  constructor(private readonly services: S2sServices<IncomingS2sStream>, readonly connection: Connection) {
    this.directTls = connection.encrypted;
    this.parser = new StreamParser(this, { mode: 'stream', maxElementSize: services.settings.maxStanzaSize });
    this.inputHold = new InputHold(services.backPressure, connection);
    // §4.9.3.4: a peer that proves nothing in time is dropped (a verify-only stream answers within it).
    this.authTimer = setTimeout(() => this.streamError(new StreamError('connection-timeout', 'no authentication in time')),
      services.settings.authTimeoutSeconds * 1000);
    this.authTimer.unref();
  }

  get id(): string {
    return this.streamId;
  }

  /** Proven remote domains (for logs, tests and the admin). */
  get remoteDomains(): string[] {
    return [...this.origins.keys()];
  }

  /** How many "remote local" pairs are proven on this stream. */
  get provenPairs(): number {
    return this.pairs.size;
  }

  /** How each remote domain proved itself on this stream. */
  get proofs(): Record<string, 'sasl-external' | 'dialback'> {
    return Object.fromEntries(this.howProven);
  }

  // ---- transport ----

  receive(text: string): void {
    if (this.state === 'closed' || this.state === 'starting-tls') return;
    this.lastActivity = Date.now();
    this.parser.write(text);
  }

  inputRejected(error: StreamError): void {
    this.streamError(error);
  }

  transportClosed(error?: Error): void {
    this.ending ??= { reason: 'connection-lost', text: `the connection was lost${error ? `: ${error.message}` : ''}`, byError: true };
    this.teardown();
  }

  /** XEP-0288: a stanza of ours for the proven peer on its own stream (jabber:server on the wire). */
  sendStanza(stanza: Element): void {
    this.write(serializeForPeer(stanza));
  }

  /** The domain pairs ("remote local") this stream may carry our stanzas for (XEP-0288). */
  get bidirectionalPairs(): string[] {
    return this.bidirectional ? [...this.pairs] : [];
  }

  /** Write serialized XML. */
  write(data: string): void {
    if (this.state === 'closed') return;
    this.lastActivity = Date.now();
    this.connection.write(data);
  }

  streamError(error: StreamError): void {
    if (this.state === 'closed') return;
    this.services.log.debug({ stream: this.streamId, peer: this.peerDomain, condition: error.condition, text: error.text }, 's2s stream error');
    this.ending ??= { reason: error.condition, text: `${error.condition}${error.text ? `: ${error.text}` : ''}`, byError: true };
    if (!this.headerSent) this.sendHeader();
    this.connection.write(serialize(error.toElement()));
    this.connection.write(S2S_FOOTER);
    this.teardown();
    this.connection.close();
  }

  close(why = 'closed'): void {
    if (this.state === 'closed') return;
    this.ending ??= { reason: 'closed', text: why, byError: false };
    if (!this.headerSent) this.sendHeader();
    this.connection.write(S2S_FOOTER);
    this.teardown();
    this.connection.close();
  }

  // ---- parser ----

  onStreamStart(name: string, attrs: Record<string, string>): void {
    if (this.state !== 'awaiting-header') return this.streamError(new StreamError('bad-format', 'unexpected stream header'));
    if (name !== 'stream:stream' || attrs['xmlns:stream'] !== NS.stream) {
      return this.streamError(new StreamError('invalid-namespace', 'expected <stream:stream/>'));
    }
    if (attrs.xmlns !== NS.server) return this.streamError(new StreamError('invalid-namespace', `the default namespace must be ${NS.server}`));
    const to = safeDomain(attrs.to);
    const { hosts } = this.services;
    if (!this.domain) this.domain = to && hosts.has(to) ? to : hosts.first;
    if (!/^[1-9]\d*\.\d+$/.test(attrs.version ?? '')) {
      return this.streamError(new StreamError('unsupported-version', 'XMPP 1.0 or later is required'));
    }
    if (!to || !hosts.has(to)) return this.streamError(new StreamError('host-unknown', `this server does not serve ${attrs.to ?? '(no to)'}`));
    if (to !== this.domain) return this.streamError(new StreamError('host-unknown', 'a restarted stream must keep its domain'));
    const from = safeDomain(attrs.from);
    if (from && this.peerDomain && from !== this.peerDomain) return this.streamError(new StreamError('invalid-from', 'a restarted stream must keep its peer'));
    if (from) this.peerDomain = from;
    this.sendHeader();
    this.state = 'open';
    this.connection.write(serialize(this.features()));
  }

  onElement(element: Element): void {
    if (this.state !== 'open') return;
    if (this.backlog) {
      this.backlog.push(element);
      return;
    }
    this.handle(element);
  }

  onStreamEnd(): void {
    this.close('the peer closed the stream');
  }

  onError(condition: ParserErrorCondition, text: string): void {
    this.streamError(new StreamError(condition, text));
  }

  // ---- negotiation ----

  private sendHeader(): void {
    this.headerSent = true;
    this.connection.write(s2sHeader({ id: this.streamId, from: this.domain || this.services.hosts.first, to: this.peerDomain || undefined }));
  }

  private get mustStartTls(): boolean {
    if (this.connection.encrypted) return false;
    return this.services.settings.requireEncryption || !this.connection.isLoopback;
  }

  /** RFC 6120 §4.3.2: STARTTLS first (required); then SASL EXTERNAL when the certificate proves the peer, and dialback. */
  private features(): Element {
    const features = xml('stream:features');
    if (this.authenticatedBySasl) return features;
    if (!this.connection.encrypted && this.connection.canStartTls) {
      features.children.push(xml('starttls', { xmlns: NS.tls }, this.mustStartTls ? xml('required') : null));
      if (this.mustStartTls) return features;
    }
    if (this.peerDomain) {
      const status = certificateStatus(this.connection.peerCertificate?.() ?? null, this.peerDomain);
      // XEP-0178 §3: EXTERNAL only for a certificate that proves the domain the peer names
      if (status.valid) features.children.push(xml('mechanisms', { xmlns: NS.sasl }, xml('mechanism', null, 'EXTERNAL')));
      else this.services.log.debug({ stream: this.streamId, peer: this.peerDomain, reason: status.reason }, 'peer certificate does not prove its domain');
    }
    features.children.push(xml('dialback', { xmlns: S2S_NS.dialbackFeature }, xml('errors')));
    // XEP-0288 §2: offered before authentication; the peer asks with <bidi/> (once encrypted)
    if (!this.bidirectional) features.children.push(xml('bidi', { xmlns: S2S_NS.bidiFeature }));
    return features;
  }

  private certificateValidFor(domain: string): boolean {
    return certificateStatus(this.connection.peerCertificate?.() ?? null, domain).valid;
  }

  private handle(element: Element): void {
    const ns = element.getNS();
    const name = localName(element);
    if (ns === NS.stream && name === 'error') {
      const condition = element.getChildElements().find((child) => child.attrs.xmlns === NS.streams)?.name;
      const text = element.getChildText('text', NS.streams);
      this.ending = { reason: condition ?? 'undefined-condition', text: `the peer's stream error: ${condition}${text ? ` (${text})` : ''}`, byError: true };
      this.teardown();
      return this.connection.close();
    }
    if (ns === NS.tls && name === 'starttls') return this.startTls();
    if (this.mustStartTls) return this.streamError(new StreamError('policy-violation', 'STARTTLS is required first'));
    if (ns === S2S_NS.dialback) {
      if (name === 'result') return this.run(this.dialbackResult(element));
      if (name === 'verify') return this.dialbackVerify(element);
      return this.streamError(new StreamError('unsupported-stanza-type', `<${element.name}/> is not a dialback element`));
    }
    if (ns === NS.sasl && name === 'auth' && !this.authenticatedBySasl) return this.saslExternal(element);
    if (ns === S2S_NS.bidi && name === 'bidi') {
      this.bidirectional = true;
      for (const remote of this.origins.keys()) this.services.bidirectionalStream(this, remote, this.domain);
      return;
    }
    if (!isStanzaName(element.name) || ns !== NS.server) {
      if (ns === NS.client && isStanzaName(element.name)) return this.streamError(new StreamError('invalid-namespace', `stanzas must be in ${NS.server}`));
      return this.streamError(new StreamError('unsupported-stanza-type', `<${element.name}/> is not a stanza`));
    }
    this.stanza(element);
  }

  private startTls(): void {
    if (this.connection.encrypted || !this.connection.canStartTls) {
      this.connection.write(serialize(xml('failure', { xmlns: NS.tls })));
      return this.close();
    }
    this.connection.write(serialize(xml('proceed', { xmlns: NS.tls })));
    this.state = 'starting-tls';
    this.connection.startTls(() => {
      this.parser.reset();
      this.headerSent = false;
      this.state = 'awaiting-header';
    });
  }

  /** RFC 6120 §6.4, XEP-0178 §3: EXTERNAL with the peer's certificate; authzid, if any, must be the header's 'from'. */
  private saslExternal(auth: Element): void {
    const fail = (condition: string, text: string) => {
      this.refusal = 'sasl-refused';
      this.connection.write(serialize(xml('failure', { xmlns: NS.sasl }, xml(condition), xml('text', { 'xml:lang': 'en' }, text))));
      if (++this.saslFailures >= 3) this.streamError(new StreamError('policy-violation', 'too many failed authentication attempts'));
    };
    if (auth.attrs.mechanism !== 'EXTERNAL') return fail('invalid-mechanism', 'only EXTERNAL is offered');
    const text = auth.text().trim();
    let authzid = this.peerDomain;
    if (text !== '' && text !== '=') {
      const decoded = Buffer.from(text, 'base64').toString('utf8');
      authzid = safeDomain(decoded) ?? '';
    }
    if (!authzid || authzid !== this.peerDomain) return fail('invalid-authzid', 'the authorization identity must be the stream\'s from');
    if (!this.certificateValidFor(authzid)) return fail('not-authorized', `the certificate does not verify for ${authzid}`);
    const refusal = this.services.policy.refusal(this.domain, authzid);
    if (refusal) return fail('not-authorized', refusal);
    this.connection.write(serialize(xml('success', { xmlns: NS.sasl })));
    this.authenticatedBySasl = true;
    this.prove(authzid, this.domain, 'sasl-external');
    // RFC 6120 §6.4.6: the peer restarts the stream.
    this.parser.reset();
    this.headerSent = false;
    this.state = 'awaiting-header';
  }

  /** XEP-0220 §2.2: the peer (originating server) claims `from` towards our `to` with a key we check with its authoritative server. */
  private async dialbackResult(result: Element): Promise<void> {
    const remote = safeDomain(result.attrs.from);
    const local = safeDomain(result.attrs.to);
    const answer = (type: string, error?: StanzaError) => {
      if (type !== 'valid') this.refusal = 'dialback-refused';
      this.write(serialize(xml('db:result', { from: local ?? result.attrs.to, to: remote ?? result.attrs.from, type },
        error?.toElement())));
    };
    if (!remote || !local) return this.streamError(new StreamError('improper-addressing', 'db:result needs from and to'));
    if (!this.services.hosts.has(local)) return answer('error', new StanzaError('item-not-found', `${local} is not served here`));
    if (this.services.hosts.has(remote)) return answer('error', new StanzaError('forbidden', `${remote} is served here`));
    const refusal = this.services.policy.refusal(local, remote);
    if (refusal) return answer('error', new StanzaError('forbidden', refusal));
    const key = result.text().trim();
    // XEP-0344 §2.4: a certificate that verifies for the domain proves it without a callback.
    let valid = this.connection.encrypted && this.certificateValidFor(remote);
    if (!valid) {
      if (this.services.policy.certificates(local) === 'require-valid') {
        return answer('error', new StanzaError('not-acceptable', `${local} accepts only peers whose certificate verifies`));
      }
      if (key === '') return answer('invalid');
      valid = await this.services.verifyDialback(local, remote, this.streamId, key);
    }
    if (this.state === 'closed') return;
    if (!valid) {
      this.services.log.info({ stream: this.streamId, remote, local }, 'dialback key refused');
      return answer('invalid');
    }
    this.prove(remote, local, 'dialback');
    answer('valid');
  }

  /** XEP-0220 §2.3: a receiving server asks whether we (authoritative for `to`) generated this key for its stream `id`. */
  private dialbackVerify(verify: Element): void {
    const receiving = safeDomain(verify.attrs.from);
    const originating = safeDomain(verify.attrs.to);
    const id = verify.attrs.id;
    if (!receiving || !originating || !id) return this.streamError(new StreamError('improper-addressing', 'db:verify needs from, to and id'));
    const attrs = { from: originating, to: receiving, id };
    if (!this.services.hosts.has(originating)) {
      return this.write(serialize(xml('db:verify', { ...attrs, type: 'error' }, new StanzaError('item-not-found').toElement())));
    }
    const valid = this.services.keys.verify(receiving, originating, id, verify.text());
    this.clearAuthTimer(); // a verify-only stream has done its job
    this.answeredVerify = true;
    this.write(dialback('verify', { ...attrs, type: valid ? 'valid' : 'invalid' }));
  }

  private prove(remote: string, local: string, how: 'sasl-external' | 'dialback'): void {
    this.pairs.add(`${remote} ${local}`);
    if (!this.origins.has(remote)) {
      const hold = this.inputHold;
      this.origins.set(remote, Object.freeze({ kind: 's2s', domain: remote, markUncommittedWrite: () => hold.wrote() }));
    }
    this.howProven.set(remote, how);
    if (this.bidirectional) this.services.bidirectionalStream(this, remote, local);
    this.clearAuthTimer();
    this.startIdleTimer();
    this.services.monitor.up(this.facts(remote, local, how));
  }

  private facts(remote: string, local: string, how: 'sasl-external' | 'dialback' | null): LinkFacts {
    return {
      direction: 'incoming', local, remote, address: this.connection.remoteAddress, method: how === 'sasl-external' ? 'EXTERNAL' : how,
      tls: this.connection.encrypted, directTls: this.directTls,
    };
  }

  // ---- stanzas ----

  private stanza(stanza: Element): void {
    if (this.pairs.size === 0) return this.streamError(new StreamError('not-authorized', 'authenticate before sending stanzas'));
    const from = tryParseJid(stanza.attrs.from);
    const to = tryParseJid(stanza.attrs.to);
    // RFC 6120 §8.1.1.1, §8.1.2.1: both addresses are required on s2s, 'from' of a proven domain.
    if (!stanza.attrs.from || !stanza.attrs.to) return this.streamError(new StreamError('improper-addressing', 'stanzas between servers need from and to'));
    if (!from) return this.streamError(new StreamError('invalid-from', 'from is not a JID'));
    if (!to) return this.streamError(new StreamError('improper-addressing', 'to is not a JID'));
    if (!this.pairs.has(`${from.domain} ${to.domain}`)) {
      if (!this.services.hosts.has(to.domain)) return this.streamError(new StreamError('host-unknown', `${to.domain} is not served here`));
      return this.streamError(new StreamError('invalid-from', `${from.domain} is not authenticated on this stream for ${to.domain}`));
    }
    this.lastActivity = Date.now();
    stanza.attrs.xmlns = NS.client;
    const routed = this.services.route(stanza, from, to, this.origins.get(from.domain)!);
    if (routed instanceof Promise) this.run(routed);
  }

  /** Keep this peer's order while asynchronous work (a route, a dialback check) runs. */
  private run(work: Promise<void>): void {
    this.backlog ??= [];
    work.catch((error: unknown) => {
      this.services.log.error({ stream: this.streamId, err: error }, 's2s handler failed');
      this.streamError(new StreamError('internal-server-error'));
    }).finally(() => this.drainBacklog());
  }

  private drainBacklog(): void {
    const backlog = this.backlog;
    this.backlog = null;
    if (!backlog) return;
    for (let i = 0; i < backlog.length; i++) {
      if (this.state !== 'open') return;
      const pending = this.backlog as Element[] | null;
      if (pending) {
        pending.push(...backlog.slice(i));
        return;
      }
      this.handle(backlog[i]!);
    }
  }

  // ---- timers and the end ----

  private startIdleTimer(): void {
    if (this.idleTimer) return;
    const idleMs = this.services.settings.idleSeconds * 1000;
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastActivity >= idleMs) this.close(`idle for ${this.services.settings.idleSeconds} s`);
    }, Math.max(250, Math.floor(idleMs / 4)));
    this.idleTimer.unref();
  }

  private clearAuthTimer(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
  }

  private teardown(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearAuthTimer();
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.backlog = null;
    this.report();
    this.services.incomingClosed(this);
  }

  /** The log and the failure counter: each proven pair went down; a stream that proved none failed (unless it only answered verifies). */
  private report(): void {
    const ending = this.ending ?? { reason: 'closed', text: 'closed', byError: false };
    const { monitor } = this.services;
    for (const pair of this.pairs) {
      const [remote, local] = pair.split(' ') as [string, string];
      monitor.down(this.facts(remote, local, this.howProven.get(remote) ?? null), ending.text, ending.byError);
    }
    if (this.pairs.size > 0) return;
    const reason = ending.byError ? ending.reason : this.refusal ?? (this.answeredVerify ? null : 'closed-unauthenticated');
    const facts = this.facts(this.peerDomain || '(unknown)', this.domain || '(unknown)', null);
    if (reason) monitor.failed(facts, reason, this.refusal && !ending.byError ? `${ending.text} after ${this.refusal}` : ending.text);
    else this.services.log.debug({ stream: this.streamId, peer: this.peerDomain }, 's2s verify stream closed');
  }
}

function safeDomain(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return normalizeDomain(value);
  } catch {
    return null;
  }
}
