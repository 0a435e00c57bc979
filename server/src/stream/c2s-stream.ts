// A client's XML stream (RFC 6120 §4–§7) over any transport: stream header, features, STARTTLS,
// SASL, resource binding — or SASL2 with Bind 2 in one round trip (XEP-0388, XEP-0386); then
// stanzas to the bound session (session/client-session.ts), which takes them to the router. The
// stream is the transport's listener and the session's stream.
import { randomBytes } from 'node:crypto';
import {
  JID, NS, StanzaError, StreamError, StreamParser, errorReply, iqResult, isStanza, normalizeDomain, normalizeResource,
  serialize, xml, type Element, type ParserErrorCondition, type StreamParserHandler,
} from '@parley/shared';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { ServerHub, SessionEndReason } from '../core/server-events.ts';
import type { SessionHandle } from '../core/origin.ts';
import type { StreamExtensions, UnauthenticatedIqHandler } from '../core/stream-extensions.ts';
import type { HostTable } from '../router/host-table.ts';
import type { ClientSession, SessionStream } from '../session/client-session.ts';
import type { NegotiatingStream, StreamInfo } from '../core/module-api.ts';
import type { LocalSessions } from '../session/local-sessions.ts';
import type { AcceptedStream, Connection } from './connection.ts';
import type { Framing } from './framing.ts';
import type { OpenStreams } from './open-streams.ts';
import type { GroupCommit } from '../storage/group-commit.ts';
import type { ServerCounters } from '../metrics/counters.ts';
import { OutputGate, type DeferredEnd, type GatedStream } from './output-gate.ts';
import { SaslNegotiation } from './sasl-negotiation.ts';
import { Sasl2Negotiation, type Sasl2Connection, type Sasl2Services } from './sasl2/negotiation.ts';
import { isSessionRequest, streamFeatures } from './stream-features.ts';
import { checkStreamHeader } from './stream-header.ts';

/** What a client stream uses (built once per server: server.ts). */
export interface C2sServices {
  readonly limits: Pick<Config['limits'], 'maxStanzaSize' | 'authTimeoutSeconds' | 'authRetriesPerStream' | 'sendBufferBytes' | 'waitingInputBytes'>;
  /** RFC 6120 §5.3.1: STARTTLS may be skipped by loopback peers (benchmarks, tests). */
  readonly allowPlaintextOnLoopback: boolean;
  readonly hosts: Pick<HostTable, 'isAccountDomain' | 'first'>;
  /** Mechanisms, the failed-login throttle, FAST tokens and what modules negotiate inside SASL2 and Bind 2. */
  readonly sasl: Sasl2Services<SessionHandle>;
  readonly sessions: LocalSessions;
  /** Post-authentication features and nonza handlers the modules added. */
  readonly extensions: StreamExtensions;
  readonly streams: OpenStreams;
  /**
   * The group commit of archive and offline writes: a stream that sent a stanza with such a write
   * holds its later output until the write is committed (output-gate.ts).
   */
  readonly commits: GroupCommit;
  readonly hub: ServerHub;
  /** Where a stream counts the times it stopped reading for the storage (metrics/counters.ts). */
  readonly counters: Pick<ServerCounters, 'inputsHeld'>;
  readonly log: Logger;
}

type StreamState =
  | 'awaiting-header'   // nothing or a restart: the next thing must be a stream header
  | 'negotiating'       // features sent, STARTTLS/SASL/bind in progress
  | 'starting-tls'      // <proceed/> sent, waiting for the TLS handshake
  | 'bound'             // resource bound: stanzas flow
  | 'closed';

/** Shared: most streams end one of these two ways, and an idle stream should not carry an object for it. */
const CLOSED: SessionEndReason = Object.freeze({ kind: 'closed' });
const CONNECTION_LOST: SessionEndReason = Object.freeze({ kind: 'connection-lost' });

export class C2sStream implements AcceptedStream, StreamParserHandler, SessionStream, GatedStream, NegotiatingStream {
  /** The served domain the stream is for. */
  domain = '';
  private state: StreamState = 'awaiting-header';
  private lang = 'en';
  private username: string | null = null;
  /** The authenticated account's domain: the canonical one when the stream was opened to an alias. */
  private accountDomain: string | null = null;
  private boundSession: ClientSession | null = null;
  private sasl: SaslNegotiation | null = null;
  private sasl2: Sasl2Negotiation<SessionHandle> | null = null;
  private saslFailures = 0;
  /**
   * Output to the session bound (or resumed) inside SASL2, held until <success/> and the stream
   * features are written (XEP-0386 §3.2: the client learns its JID from the success, before any stanza).
   */
  private heldForSuccess: string[] | null = null;
  private headerSent = false;
  private readonly parser: StreamParser;
  private authTimer: NodeJS.Timeout | null;
  /** Stanzas waiting while an asynchronous handler runs, so one client's stanzas keep their order. */
  private backlog: Element[] | null = null;
  /** Why the stream ended, for the session's end (set just before teardown). */
  private endReason: SessionEndReason = CLOSED;
  private streamId: string | null = null;
  /** The group commit that takes this stream's latest archive or offline write (0: none waits). */
  private writesIn = 0;
  /** Holds output back until that commit is done (output-gate.ts); made when first needed. */
  private gate: OutputGate | null = null;
  /** Input waits (in the backlog) until the gate is released: the commits were congested. */
  private inputHeld = false;
  /** An asynchronous handler runs (run()): the backlog waits for it. */
  private handlerRunning = false;
  /**
   * Characters read since the backlog last began draining (the backlog holds at most these, plus
   * what was left of it then): bounded by limits.waitingInputBytes.
   */
  private waitingInput = 0;

  constructor(
    private readonly services: C2sServices,
    readonly connection: Connection,
    private readonly framing: Framing,
  ) {
    // The stream is its parser's handler (onStreamStart/onElement/onStreamEnd/onError):
    // no closures per connection, which keeps idle streams small.
    this.parser = new StreamParser(this, { mode: framing.parserMode, maxElementSize: services.limits.maxStanzaSize });
    // RFC 6120 §4.9.3.4 connection-timeout: a peer that never authenticates is dropped.
    this.authTimer = setTimeout(authTimedOut, services.limits.authTimeoutSeconds * 1000, this);
    this.authTimer.unref?.();
    services.streams.opened(this);
  }

  /** For logs and events, made on first use. */
  get id(): string {
    return this.streamId ??= randomBytes(9).toString('base64url');
  }

  get transport(): string {
    return this.connection.transport;
  }

  get encrypted(): boolean {
    return this.connection.encrypted;
  }

  get remoteAddress(): string {
    return this.connection.remoteAddress;
  }

  /** The session bound on this stream, if any. */
  get session(): ClientSession | null {
    return this.boundSession;
  }

  get isBound(): boolean {
    return this.state === 'bound';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  // ---- input from the transport ----

  receive(text: string): void {
    if (this.state === 'closed' || this.state === 'starting-tls') return;
    if (this.backlog !== null && (this.waitingInput += text.length) > this.services.limits.waitingInputBytes) {
      // Input that waits (behind an asynchronous handler, or held for the storage) is parsed and
      // kept: a client that keeps sending meanwhile must not fill the server's memory. Over TCP a
      // held stream stops reading, but uWebSockets.js cannot pause a WebSocket's reading.
      return this.streamError(new StreamError('policy-violation', 'too much input while the stream waits'));
    }
    if (this.framing.elementPerMessage) this.parser.writeFrame(text);
    else this.parser.write(text);
  }

  inputRejected(error: StreamError): void {
    this.streamError(error);
  }

  transportClosed(error?: Error): void {
    if (error) this.services.log.debug({ stream: this.id, err: error.message }, 'transport error');
    if (this.state !== 'closed') this.endReason = CONNECTION_LOST;
    this.gate?.drop();
    this.teardown(error);
  }

  drained(): void {}

  // ---- output ----

  /** Send serialized XML. Hot path: one write. */
  write(data: string): void {
    if (this.state === 'closed') return;
    if (this.heldForSuccess !== null) {
      this.heldForSuccess.push(data);
      return;
    }
    if (this.writesIn !== 0 && this.mustHold()) return this.gate!.push(data);
    this.connection.write(data);
    this.checkBackPressure();
  }

  /** Output must wait for the group commit (output-gate.ts): a write of ours is not committed, or output already waits. */
  private mustHold(): boolean {
    const { commits } = this.services;
    if (this.writesIn > commits.done) (this.gate ??= new OutputGate(commits, this)).hold(this.writesIn);
    else if (!this.gate?.holding) {
      this.writesIn = 0;
      return false;
    }
    return true;
  }

  private checkBackPressure(): void {
    if (this.connection.bufferedBytes() > this.services.limits.sendBufferBytes) {
      // A reader that does not read must not make the server hold its traffic without bound.
      this.streamError(new StreamError('policy-violation', 'too much unread data'));
    }
  }

  /**
   * A stanza this stream sent has an archive or offline write waiting for the group commit: what is
   * written to the stream from now on waits until that write is committed (output-gate.ts).
   */
  markUncommittedWrite(): void {
    const { commits } = this.services;
    this.writesIn = commits.upcoming;
    if (commits.congested && !this.inputHeld) this.holdInput();
  }

  /**
   * The storage is behind (group-commit.ts `congested`): read nothing more until this
   * stream's write is committed. Stanzas already read wait in the backlog, in order.
   */
  private holdInput(): void {
    this.inputHeld = true;
    this.backlog ??= [];
    this.connection.pauseInput?.();
    (this.gate ??= new OutputGate(this.services.commits, this)).hold(this.writesIn);
    this.services.counters.inputsHeld++;
  }

  /** The gate wrote the held output (GatedStream). */
  outputReleased(end: DeferredEnd): void {
    if (this.inputHeld) {
      this.inputHeld = false;
      this.connection.resumeInput?.();
      if (end === null) this.drainBacklog();
    }
    if (end !== null) this.endStream(end === 'close' ? null : end);
    else if (this.state !== 'closed') this.checkBackPressure();
  }

  /** End the stream with an error (RFC 6120 §4.9): header first if none was sent, then error, then close. */
  streamError(error: StreamError): void {
    if (this.state === 'closed') return;
    this.services.log.debug({ stream: this.id, condition: error.condition, text: error.text }, 'stream error');
    this.endReason = { kind: 'stream-error', condition: error.condition };
    this.endOrDefer(error);
  }

  /** Close the stream cleanly (our footer, then the connection). */
  close(): void {
    if (this.state === 'closed') return;
    this.endOrDefer('close');
  }

  /** While output is held, the session ends now (nothing more is read or routed to it), the stream after the output. */
  private endOrDefer(end: StreamError | 'close'): void {
    if (this.writesIn !== 0 && this.mustHold()) {
      this.gate!.endAfterRelease(end);
      return this.teardown();
    }
    this.endStream(end === 'close' ? null : end);
  }

  private endStream(error: StreamError | null): void {
    this.ensureHeaderSent();
    if (error !== null) {
      // BOSH turns the condition into a <body type='terminate'/> condition (XEP-0124 §17.2).
      this.connection.streamErrorCondition?.(error.condition);
      const element = error.toElement();
      Object.assign(element.attrs, this.framing.streamPrefixDeclaration);
      this.connection.write(serialize(element));
    }
    this.connection.write(this.framing.footer());
    this.teardown();
    this.connection.close();
  }

  // ---- input from transports that frame elements themselves (BOSH: XEP-0124/0206) ----

  /** A stream (re)opened out of band, e.g. a BOSH session request or xmpp:restart (attributes to, version, xml:lang). */
  openExternalStream(attrs: Record<string, string>): void {
    if (this.state !== 'awaiting-header') return this.streamError(new StreamError('bad-format', 'unexpected stream restart'));
    this.openStream(attrs);
  }

  /** A complete top-level element taken from the transport's own framing. */
  receiveElement(element: Element): void {
    if (this.state === 'closed') return;
    if (element.attrs.xmlns === undefined) element.attrs.xmlns = this.framing.contentNamespace;
    this.onElement(element);
  }

  /** The peer ended the stream through the transport's own framing (BOSH type='terminate'). */
  receiveStreamEnd(): void {
    this.onStreamEnd();
  }

  // ---- parser events (StreamParserHandler) ----

  onStreamStart(name: string, attrs: Record<string, string>): void {
    if (this.state !== 'awaiting-header') return this.streamError(new StreamError('bad-format', 'unexpected stream header'));
    const refused = checkStreamHeader(name, attrs, this.framing.contentNamespace);
    if (refused) return this.streamError(refused);
    this.openStream(attrs);
  }

  onElement(element: Element): void {
    if (this.framing.parserMode === 'framed') {
      const ns = element.attrs.xmlns;
      if (ns === NS.framing) {
        if (element.name === 'open') return this.onFramedOpen(element);
        if (element.name === 'close') return this.onStreamEnd();
      }
      // RFC 7395 frames have no stream root to inherit from; like other servers we read an
      // unqualified top-level element as the stream's content namespace.
      if (ns === undefined) element.attrs.xmlns = this.framing.contentNamespace;
    }
    switch (this.state) {
      case 'awaiting-header':
        return this.streamError(new StreamError(this.framing.parserMode === 'framed' ? 'invalid-namespace' : 'bad-format',
          'stream not opened'));
      case 'negotiating':
      case 'bound':
        return this.enqueue(element);
      default:
        return;
    }
  }

  private onFramedOpen(open: Element): void {
    if (this.state !== 'awaiting-header') return this.streamError(new StreamError('bad-format', 'unexpected <open/>'));
    this.openStream(open.attrs as Record<string, string>);
  }

  onStreamEnd(): void {
    // RFC 6120 §4.4: answer the peer's closing tag with ours, then close the connection.
    this.close();
  }

  onError(condition: ParserErrorCondition, text: string): void {
    this.streamError(new StreamError(condition, text));
  }

  // ---- stream negotiation ----

  private openStream(attrs: Record<string, string>): void {
    const { hosts } = this.services;
    let domain: string;
    try {
      domain = normalizeDomain(attrs.to ?? '');
    } catch {
      domain = '';
    }
    // Errors on the header are sent in a stream whose 'from' is a domain we serve (§4.9.1.2).
    this.domain = this.domain || (hosts.isAccountDomain(domain) ? domain : hosts.first);
    // RFC 6120 §4.7.5: version is "major.minor"; a missing or malformed one is not XMPP 1.0.
    const version = /^(\d+)\.\d+$/.exec(attrs.version ?? '');
    if (!version || Number(version[1]) < 1) {
      return this.streamError(new StreamError('unsupported-version', 'XMPP 1.0 or later is required'));
    }
    if (!hosts.isAccountDomain(domain)) {
      return this.streamError(new StreamError('host-unknown', `this server does not serve ${attrs.to ?? '(no to)'}`));
    }
    this.domain = ownCopy(domain);
    if (attrs['xml:lang']) this.lang = ownCopy(attrs['xml:lang']);
    this.sendHeader();
    this.state = 'negotiating';
    this.write(serialize(this.features()));
  }

  private ensureHeaderSent(): void {
    if (!this.headerSent) this.sendHeader();
  }

  private sendHeader(): void {
    this.headerSent = true;
    this.connection.write(this.framing.header({
      id: randomBytes(12).toString('hex'), from: this.domain || this.services.hosts.first, lang: this.lang,
    }));
  }

  private get mustStartTls(): boolean {
    if (this.connection.encrypted || !this.connection.canStartTls) return false;
    return !(this.services.allowPlaintextOnLoopback && this.connection.isLoopback);
  }

  private features(): Element {
    return streamFeatures(this.framing, {
      ...this.signInConnection(),
      authenticated: this.username !== null,
      bound: this.state === 'bound',
      session: this.boundSession,
      offerStartTls: !this.connection.encrypted && this.connection.canStartTls,
      mustStartTls: this.mustStartTls,
    }, this.services.sasl, this.services.extensions);
  }

  /** What modules see of this stream, in every phase (core/stream-extensions.ts). */
  private streamInfo(): StreamInfo {
    const { connection } = this;
    return { domain: this.domain, transport: connection.transport, encrypted: connection.encrypted, remoteAddress: connection.remoteAddress };
  }

  /** The connection as SASL and SASL2 see it; its channel binding is built when asked (transport/tcp.ts). */
  private signInConnection(): Sasl2Connection {
    return { ...this.streamInfo(), channelBinding: this.connection.channelBinding ?? null };
  }

  private negotiate(element: Element): void {
    const ns = element.attrs.xmlns;
    if (ns === NS.tls && element.name === 'starttls') return this.startTls();
    if (this.mustStartTls) {
      // RFC 6120 §5.3.1: TLS is mandatory here; anything else first is a policy violation.
      return this.streamError(new StreamError('policy-violation', 'STARTTLS is required first'));
    }
    if (ns === NS.sasl && this.username === null) {
      this.run(this.authenticate(element));
      return;
    }
    if (ns === NS.sasl2 && this.username === null) {
      this.run(this.authenticate2(element));
      return;
    }
    if (this.username !== null && element.name === 'iq' && element.attrs.type === 'set') {
      const bind = element.getChild('bind', NS.bind);
      if (bind) return this.bind(element, bind);
    }
    // XEP-0198 §5: a stream may resume a session instead of binding one
    if (this.username !== null && !isStanza(element) && this.services.extensions.handleNegotiationNonza(this, element)) return;
    // XEP-0077 §3: in-band registration (and whatever else a module answers before authentication)
    const unauthenticated = this.username === null ? this.services.extensions.unauthenticatedIq(element) : undefined;
    if (unauthenticated) return this.run(this.answerUnauthenticated(element, unauthenticated.handler, unauthenticated.payload));
    this.streamError(new StreamError('not-authorized', 'authenticate and bind a resource first'));
  }

  private async answerUnauthenticated(iq: Element, handler: UnauthenticatedIqHandler, payload: Element): Promise<void> {
    let reply: Element;
    try {
      const result = await handler(this.streamInfo(), iq, payload);
      reply = iqResult(iq, result ?? undefined);
    } catch (error) {
      if (!(error instanceof StanzaError)) throw error;
      reply = errorReply(iq, error);
    }
    if (!this.isClosed) this.write(serialize(reply));
  }

  private startTls(): void {
    if (!this.connection.canStartTls || this.connection.encrypted || this.username !== null) {
      this.connection.write(serialize(xml('failure', { xmlns: NS.tls })));
      return this.close();
    }
    this.connection.write(serialize(xml('proceed', { xmlns: NS.tls })));
    this.state = 'starting-tls';
    this.connection.startTls(() => {
      // RFC 6120 §5.4.3.3: after TLS, the client opens a new stream on the protected channel.
      this.parser.reset();
      this.headerSent = false;
      this.state = 'awaiting-header';
    });
  }

  private async authenticate(element: Element): Promise<void> {
    this.sasl ??= new SaslNegotiation(this.services.sasl, this.domain, this.connection.encrypted, this.connection.remoteAddress,
      (reply) => this.write(serialize(reply)), this.connection.channelBinding ?? null);
    const outcome = await this.sasl.handle(element);
    if (this.isClosed) return;
    if (outcome.kind === 'success') {
      this.username = outcome.username;
      this.accountDomain = outcome.domain;
      this.sasl = null;
      this.clearAuthTimer();
      // RFC 6120 §6.4.6: the stream restarts after success.
      this.parser.reset();
      this.headerSent = false;
      this.state = 'awaiting-header';
    } else if (outcome.kind === 'failure' && ++this.saslFailures >= this.services.limits.authRetriesPerStream) {
      this.streamError(new StreamError('policy-violation', 'too many failed authentication attempts'));
    }
  }

  /** XEP-0388: authentication, and with it Bind 2 and FAST, without a stream restart. */
  private async authenticate2(element: Element): Promise<void> {
    this.sasl2 ??= new Sasl2Negotiation(this.services.sasl, this.signInConnection(), {
      // <challenge/>, <success/>, <failure/> are never held behind the success
      write: (reply) => this.connection.write(serialize(reply)),
      authenticated: (account) => {
        this.username = ownCopy(account.local);
        this.accountDomain = account.domain;
        this.heldForSuccess = [];
      },
      bind: (account, resource) => {
        const session = this.bindSession(new JID(account.local, account.domain, ownCopy(resource)));
        return { session, jid: session.jid };
      },
      resume: (session) => {
        this.resume(session);
        return session.jid;
      },
      resumeMoved: (jid) => this.resumeMoved(jid),
    });
    const outcome = await this.sasl2.handle(element);
    if (this.isClosed) return;
    if (outcome.kind === 'success') {
      this.sasl2 = null;
      this.clearAuthTimer();
      // §2.6.1: the features of the authenticated stream follow <success/> at once, then what the session was sent meanwhile
      const held = this.heldForSuccess ?? [];
      this.heldForSuccess = null;
      this.write(serialize(this.features()));
      for (const data of held) this.write(data);
    } else if (this.state === 'bound') {
      // an inline feature failed after the resource was bound: no way back to an unauthenticated stream
      this.streamError(new StreamError('internal-server-error', 'session set-up failed'));
    } else {
      this.username = null;
      this.accountDomain = null;
      this.heldForSuccess = null;
      if (outcome.kind === 'failure' && ++this.saslFailures >= this.services.limits.authRetriesPerStream) {
        this.streamError(new StreamError('policy-violation', 'too many failed authentication attempts'));
      }
    }
  }

  // ---- NegotiatingStream: after authentication, before binding ----

  /** The authenticated account (bare JID). */
  get account(): JID {
    return new JID(this.username ?? '', this.accountDomain ?? this.domain);
  }

  sendNonza(nonza: Element): void {
    this.write(serialize(nonza));
  }

  /** XEP-0198 §5: this stream carries an existing session of its account from now on. */
  resume(handle: SessionHandle): void {
    const session = this.services.sessions.session(handle.id);
    if (this.state !== 'negotiating' || this.username === null || !session || session.jid.bare !== this.account.bare) {
      throw new Error('this stream cannot resume that session');
    }
    this.services.sessions.resume(session, this);
    this.boundSession = session;
    this.state = 'bound';
    this.services.log.info({ session: session.id, jid: session.jid.full, transport: this.connection.transport }, 'session resumed');
  }

  resumeMoved(jid: JID): SessionHandle {
    if (this.state !== 'negotiating' || this.username === null || jid.bare !== this.account.bare) {
      throw new Error('this stream cannot take that session');
    }
    const session = this.services.sessions.bind(jid, this);
    this.boundSession = session;
    this.state = 'bound';
    this.services.log.info({ session: session.id, jid: session.jid.full, transport: this.connection.transport }, 'session resumed from another node');
    return session;
  }

  /** The session went on to another stream: its end here is not the session's end. */
  release(error: StreamError): void {
    this.boundSession = null;
    this.streamError(error);
  }

  private bind(iq: Element, bind: Element): void {
    let resource = bind.getChildText('resource')?.trim();
    try {
      resource = resource ? normalizeResource(resource) : `parley-${randomBytes(6).toString('hex')}`;
    } catch {
      return this.write(serialize(errorReply(iq, new StanzaError('bad-request', 'invalid resource'))));
    }
    const session = this.bindSession(new JID(ownCopy(this.username!), this.accountDomain ?? this.domain, ownCopy(resource)));
    session.deliver(iqResult(iq, xml('bind', { xmlns: NS.bind }, xml('jid', null, session.jid.full))));
  }

  /** RFC 6120 §7.7.2.2: the new session wins; the older one ends with <conflict/> (session/local-sessions.ts). */
  private bindSession(jid: JID): ClientSession {
    const session = this.services.sessions.bind(jid, this);
    this.boundSession = session;
    this.state = 'bound';
    // the parent logger: a child logger per session costs memory on every idle connection
    this.services.log.info({ session: session.id, jid: jid.full, transport: this.connection.transport }, 'session bound');
    return session;
  }

  // ---- stanzas ----

  private enqueue(element: Element): void {
    if (this.backlog) {
      this.backlog.push(element);
      return;
    }
    if (this.state === 'bound') this.process(element);
    else this.negotiate(element);
  }

  private process(element: Element): void {
    const session = this.boundSession!;
    if (!isStanza(element)) {
      const handled = this.services.extensions.handleNonza(session, element);
      if (!handled) this.streamError(new StreamError('unsupported-stanza-type', `<${element.name}/> is not a stanza`));
      return;
    }
    if (element.attrs.xmlns !== this.framing.contentNamespace) {
      return this.streamError(new StreamError('invalid-namespace', `stanzas must be in ${this.framing.contentNamespace}`));
    }
    if (isSessionRequest(element, this.domain)) {
      session.acknowledgement?.received(); // a stanza like any other for XEP-0198 counting
      return session.deliver(iqResult(element));
    }
    const result = session.receive(element);
    if (result) this.run(result);
  }

  /** Wait for an asynchronous handler before processing the next stanza of this stream. */
  private run(work: Promise<void>): void {
    this.backlog ??= [];
    this.handlerRunning = true;
    work.catch((error: unknown) => {
      this.services.log.error({ stream: this.id, err: error }, 'handler failed');
      this.streamError(new StreamError('internal-server-error'));
    }).finally(() => {
      this.handlerRunning = false;
      this.drainBacklog();
    });
  }

  private drainBacklog(): void {
    if (this.inputHeld || this.handlerRunning) return; // it drains when that ends
    const backlog = this.backlog;
    this.backlog = null;
    this.waitingInput = 0;
    if (!backlog) return;
    for (let i = 0; i < backlog.length; i++) {
      if (this.isClosed) return;
      const pending = this.backlog as Element[] | null; // process() may have started async work or held the input
      if (pending) {
        // a handler went asynchronous again: keep the rest in order behind it
        pending.push(...backlog.slice(i));
        return;
      }
      const element = backlog[i]!;
      if (this.state === 'bound') this.process(element);
      else if (this.state === 'negotiating') this.negotiate(element);
    }
  }

  // ---- end of the stream ----

  private clearAuthTimer(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
  }

  private teardown(error?: Error): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.clearAuthTimer();
    this.backlog = null;
    const { streams, hub, sessions } = this.services;
    streams.closed(this);
    const session = this.boundSession;
    this.boundSession = null;
    if (hub.listens('stream-closed')) void hub.emit('stream-closed', { streamId: this.id, transport: this.transport, session, error });
    // The session decides what the stream's end means for it (ended, or kept by a module).
    if (session) sessions.streamEnded(session, this.endReason);
  }
}

function authTimedOut(stream: C2sStream): void {
  stream.streamError(new StreamError('connection-timeout', 'authentication took too long'));
}

/**
 * A copy of a string that does not point into the chunk it was parsed from. V8 keeps substrings
 * as slices of their parent, so a resource name kept for the session's lifetime would otherwise
 * keep a whole network read (up to 64 KiB) alive.
 */
function ownCopy(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'utf8').toString('utf8');
}
