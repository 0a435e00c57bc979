// The XMPP client: one logical session over WebSocket (BOSH when WebSocket cannot connect),
// re-established with backoff when it drops — resumed where the server allows it (XEP-0198 §5:
// nothing lost, nothing twice), else started afresh; iq requests with replies; stanzas as events.
import { NS, StanzaError, parseJid, xml, type Element, type JID } from '@parley/shared';
import { reconnectDelay } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { AuthenticationError, ConnectionError, StreamErrorReceived } from './errors.ts';
import { randomId } from './ids.ts';
import { Inbox } from './inbox.ts';
import { IQ_TIMEOUT_MS, IqRequests, type IqHandler } from './iq-requests.ts';
import { negotiate, type NegotiatedSession } from './negotiation.ts';
import type { Credentials } from './sasl/index.ts';
import type { UserAgent } from './sasl/sasl2.ts';
import { StreamManagement } from './stream-management.ts';
import { BoshTransport } from './transport/bosh.ts';
import type { Transport, TransportHandler } from './transport/transport.ts';
import { WebSocketTransport } from './transport/websocket.ts';
import { t } from '../i18n/index.svelte.ts';

export type ConnectionStatus = 'offline' | 'connecting' | 'online' | 'reconnecting' | 'failed';
export type TransportKind = 'websocket' | 'bosh';

export interface ClientOptions {
  jid: string;
  /** A function is asked again on every reconnection (tokens expire). */
  credentials: Credentials | (() => Promise<Credentials>);
  websocketUrl: string;
  boshUrl: string;
  resource?: string;
  /** Transports in the order tried; default WebSocket then BOSH. */
  transports?: TransportKind[];
  /** Seconds between keepalive pings while online (XEP-0199); 0 turns them off. */
  pingIntervalSeconds?: number;
  /**
   * Online over a fallback transport (BOSH because WebSocket failed): seconds between checks that
   * the preferred one works again (a restarted server, a proxy fixed), then the session moves back.
   */
  preferredProbeSeconds?: number;
  /** Who we are to SASL2 (XEP-0388 §2.5.1): FAST tokens are bound to its id. */
  userAgent?: UserAgent;
  /** Ask the server for a FAST token at sign-in ("stay signed in", XEP-0484). */
  requestToken?: boolean;
}

export interface StatusDetail {
  error?: Error;
  /** When status is 'reconnecting': the next attempt starts in this many milliseconds. */
  retryInMs?: number;
  transport?: TransportKind;
  /** The session was online before: this is a reconnection. */
  reconnecting?: boolean;
}

export interface ClientEvents {
  status: [ConnectionStatus, StatusDetail];
  /** A session is established; `reconnected` is false for the first one. */
  online: [NegotiatedSession & { reconnected: boolean }];
  /** The server gave a FAST token (asked for, or a rotation): keep it for the next sign-in. */
  token: [{ token: string; expiry: string }];
  message: [Element];
  presence: [Element];
}

export type { IqHandler } from './iq-requests.ts';
export { errorReplyOf } from './iq-requests.ts';

/** Unacknowledged stanzas that make the client ask for an ack (<r/>) at once, else after ACK_DELAY_MS. */
const ACK_EVERY = 5;
const ACK_DELAY_MS = 500;

/** One connection attempt: a transport and what it received; callbacks of a replaced link are ignored. */
interface Link {
  transport: Transport;
  inbox: Inbox;
  online: boolean;
}

/** The server closed the stream properly (RFC 7395 <close/>): the session ended, nothing to resume. */
class CleanClose extends ConnectionError {}

export class XmppClient extends Emitter<ClientEvents> {
  status: ConnectionStatus = 'offline';
  readonly account: JID;
  /** The bound full JID once online. */
  jid: JID | null = null;
  transportKind: TransportKind | null = null;

  private readonly resource: string;
  private readonly userAgent: UserAgent;
  private readonly transportOrder: TransportKind[];
  private link: Link | null = null;
  private stopped = true;
  private attempt = 0;
  private everOnline = false;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private probeTimer: ReturnType<typeof setTimeout> | undefined;
  /** Counts connection attempts: an attempt that was replaced (retry now) stops at its next step. */
  private generation = 0;
  private readonly iqs = new IqRequests((stanza) => this.send(stanza));
  private readonly sm = new StreamManagement();
  /** The last link dropped without the stream ending: try to resume its session (XEP-0198 §5). */
  private resumeWanted = false;
  /** When the dropped session's resumption window closes (XEP-0198 <enabled max/>). */
  private resumableUntil: number | undefined;
  private resumptionSeconds = 300;
  /**
   * Off once the server ended a session for acks that lagged (<resource-constraint/>: more
   * unacknowledged stanzas than it keeps, e.g. a flood of offline messages on a busy page): the
   * next sessions go without stream management rather than be ended the same way again.
   */
  private streamManagementWanted = true;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  /** The link on which an <r/> waits for its <a/>: one request at a time, not one per stanza sent. */
  private ackRequestedOn: Link | undefined;
  /** The server offers XEP-0352 client state indication on this session. */
  csiAvailable = false;

  constructor(private readonly options: ClientOptions) {
    super();
    this.account = parseJid(options.jid).toBare();
    if (!this.account.local) throw new Error(t('error.fullAddress'));
    this.resource = options.resource ?? `parley-${randomId(4)}`;
    this.transportOrder = options.transports ?? ['websocket', 'bosh'];
    this.userAgent = options.userAgent ?? { id: randomId(16), software: 'Parley' };
  }

  /** Connect; resolves when online, rejects when the first attempt fails (then nothing is retried). */
  async start(): Promise<void> {
    this.stopped = false;
    this.setStatus('connecting', {});
    try {
      await this.connect();
    } catch (error) {
      this.stopped = true;
      this.setStatus('failed', { error: error as Error });
      throw error;
    }
  }

  /** End the session (unavailable presence goes out first, RFC 6121 §4.5.1). */
  stop(): void {
    this.stopped = true;
    this.generation++;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.probeTimer);
    clearTimeout(this.ackTimer);
    const link = this.link;
    this.link = null;
    if (link?.online) link.transport.send(xml('presence', { xmlns: NS.client, type: 'unavailable' }));
    // a closed stream ends the session on the server too: nothing to resume (XEP-0198 §5)
    link?.transport.close();
    this.resumeWanted = false;
    this.sm.reset();
    this.iqs.rejectAll(new ConnectionError('signed out'));
    this.setStatus('offline', {});
  }

  /**
   * Skip the backoff wait, or give up a slow attempt and start a fresh one (the user clicked
   * "Retry now", or the browser came back online).
   */
  reconnectNow(): void {
    if (this.stopped || this.status === 'online' || !this.everOnline) return;
    clearTimeout(this.retryTimer);
    this.abandonAttempt();
    void this.reconnect();
  }

  /** Close the link of an attempt in progress; its connect() notices it was replaced. */
  private abandonAttempt(): void {
    const link = this.link;
    this.link = null;
    this.generation++;
    link?.transport.close();
  }

  get online(): boolean {
    return this.status === 'online';
  }

  /** Offline, but the server keeps the session for us: presence and state shown stay valid. */
  get mayResume(): boolean {
    return !this.stopped && this.resumeWanted && this.sm.resumption !== null;
  }

  /** Send a stanza; false when not online (the caller keeps it for later). */
  send(stanza: Element): boolean {
    const link = this.link;
    if (!link?.online) return false;
    if (!stanza.attrs.xmlns) stanza.attrs.xmlns = NS.client; // RFC 7395 §3.3.3, XEP-0206 §8
    link.transport.send(stanza);
    if (this.sm.enabled) {
      this.sm.sent(stanza);
      this.requestAck(link);
    }
    return true;
  }

  /** A nonza (XEP-0352 <active/>, say): not a stanza, not counted; false when not online. */
  sendNonza(nonza: Element): boolean {
    const link = this.link;
    if (!link?.online) return false;
    link.transport.send(nonza);
    return true;
  }

  /** XEP-0198 §4: ask the server what it handled, soon after stanzas went out. */
  private requestAck(link: Link): void {
    if (this.ackRequestedOn === link) return; // the <a/> to come covers these too, or asks again
    const askNow = this.sm.pending >= ACK_EVERY;
    if (!askNow && this.ackTimer !== undefined) return;
    clearTimeout(this.ackTimer);
    const ask = () => {
      this.ackTimer = undefined;
      if (this.link !== link || !link.online || this.sm.pending === 0) return;
      this.ackRequestedOn = link;
      link.transport.send(xml('r', { xmlns: NS.sm }));
    };
    if (askNow) ask();
    else this.ackTimer = setTimeout(ask, ACK_DELAY_MS);
  }


  /** Send an iq get/set and wait for its result; an error reply rejects with a StanzaError. */
  iq(request: Element, timeoutMs = IQ_TIMEOUT_MS): Promise<Element> {
    return this.iqs.request(request, timeoutMs);
  }

  /** Answer incoming iq get/set whose payload has this namespace. */
  handleIq(type: 'get' | 'set', namespace: string, handler: IqHandler): void {
    this.iqs.handle(type, namespace, handler);
  }

  /**
   * One attempt: the transports in the configured order, every time (a WebSocket that failed while
   * the server restarted works again afterwards; a fallback session checks for it, see probePreferred).
   */
  private async connect(): Promise<void> {
    const generation = ++this.generation;
    const replaced = () => this.generation !== generation || this.stopped;
    const credentials = typeof this.options.credentials === 'function' ? await this.options.credentials() : this.options.credentials;
    let lastError: Error = new ConnectionError('no transport configured');
    for (const kind of this.transportOrder) {
      if (replaced()) throw new ConnectionError('connection replaced');
      const link: Link = { transport: null!, inbox: new Inbox(), online: false };
      link.transport = this.createTransport(kind, this.handlerFor(link));
      this.link = link;
      try {
        await link.transport.open(this.account.domain);
      } catch (error) {
        lastError = error as Error;
        // Only an unreachable endpoint moves on to the next transport (RFC 7395 blocked by a proxy, say).
        if (error instanceof ConnectionError && error.beforeStreamOpened) continue;
        throw error;
      }
      try {
        const session = await negotiate(link.transport, link.inbox, {
          account: this.account, credentials, resource: this.resource, requestToken: this.options.requestToken ?? false,
          userAgent: this.userAgent,
          resumption: this.resumeWanted && kind === 'websocket' ? this.sm.resumption : null,
          enableStreamManagement: this.streamManagementWanted,
          resumableUntil: this.resumableUntil,
        });
        if (this.link !== link || replaced()) throw new ConnectionError('connection replaced');
        this.goOnline(link, kind, session);
        return;
      } catch (error) {
        link.transport.close();
        throw error;
      }
    }
    throw lastError;
  }

  /** Online over a fallback: check now and then whether the preferred transport answers again. */
  private scheduleProbe(link: Link, kind: TransportKind): void {
    clearTimeout(this.probeTimer);
    const preferred = this.transportOrder[0]!;
    const seconds = this.options.preferredProbeSeconds ?? 60;
    if (kind === preferred || seconds <= 0) return;
    this.probeTimer = setTimeout(() => {
      if (this.link !== link || !link.online) return;
      const probe = this.createTransport(preferred, { element: () => {}, closed: () => {} });
      probe.open(this.account.domain).then(() => {
        probe.close();
        if (this.link !== link || !link.online) return;
        // It works again: move the session over (a short reconnection, the outbox keeps messages).
        this.linkLost(link, new ConnectionError('moving back to the preferred transport'), 0);
        link.transport.close();
      }, () => this.scheduleProbe(link, kind));
    }, seconds * 1000);
  }

  private goOnline(link: Link, kind: TransportKind, session: NegotiatedSession): void {
    link.online = true;
    this.resumeWanted = false;
    this.transportKind = kind;
    this.attempt = 0;
    this.csiAvailable = session.csi;
    const reconnected = this.everOnline;
    this.everOnline = true;
    let again: Element[];
    if (session.resumed) {
      // §5: what the server did not get before the drop goes again, in order
      again = this.sm.resumed(session.resumed.h);
    } else {
      this.jid = session.jid;
      // a fresh session: of what the old one did not acknowledge, only messages are worth sending again
      again = this.sm.reset().filter((stanza) => stanza.name === 'message' && stanza.getChild('body') !== undefined);
      if (session.streamManagementRefused) this.streamManagementWanted = false;
      if (session.streamManagement) {
        this.sm.enable(session.streamManagement.id || null);
        this.resumptionSeconds = session.streamManagement.maxSeconds ?? 300;
      }
    }
    this.startPings();
    this.scheduleProbe(link, kind);
    if (session.token) this.emit('token', session.token);
    this.setStatus('online', { transport: kind });
    // before what the listeners send (the outbox of messages written while offline): order kept
    for (const stanza of again) this.send(stanza);
    this.emit('online', { ...session, reconnected });
    // stanzas that came with the negotiation (the resent ones after <resumed/>), counted as handled
    for (const element of link.inbox.drain()) if (this.link === link) this.dispatch(element);
  }

  private createTransport(kind: TransportKind, handler: TransportHandler): Transport {
    return kind === 'websocket' ? new WebSocketTransport(this.options.websocketUrl, handler) : new BoshTransport(this.options.boshUrl, handler);
  }

  private handlerFor(link: Link): TransportHandler {
    return {
      element: (element) => {
        if (this.link !== link) return;
        if (element.getName() === 'error' && (element.name === 'stream:error' || element.attrs.xmlns === NS.stream)) {
          const condition = element.children.find((node): node is Element => typeof node !== 'string' && node.name !== 'text');
          const error = new StreamErrorReceived(condition?.name ?? 'undefined-condition', element.getChildText('text') ?? undefined);
          link.inbox.fail(error);
          this.linkLost(link, error);
          link.transport.close();
          return;
        }
        if (link.online) this.dispatch(element);
        else link.inbox.push(element);
      },
      closed: (error) => {
        link.inbox.fail(error ?? new ConnectionError('the server closed the connection'));
        if (this.link === link) this.linkLost(link, error ?? new CleanClose('the server closed the connection'));
      },
    };
  }

  /** The established session dropped: reconnect unless it was ended on purpose or cannot succeed. */
  private linkLost(link: Link, error: Error, delayMs?: number): void {
    if (this.link !== link) return;
    const wasOnline = link.online;
    link.online = false;
    this.link = null;
    clearInterval(this.pingTimer);
    clearTimeout(this.probeTimer);
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    // XEP-0198 §5: the connection went without the stream ending (no <close/>, no stream error):
    // the server keeps the session for a while. A clean close or a stream error ends it.
    if (wasOnline) this.resumeWanted = this.sm.resumption !== null && !(error instanceof StreamErrorReceived) && !(error instanceof CleanClose);
    // a little short of the server's window: a resumption refused before that was not an expiry
    if (wasOnline) this.resumableUntil = Date.now() + Math.max(0, this.resumptionSeconds - 1) * 1000;
    if (this.sm.enabled && error instanceof StreamErrorReceived && error.condition === 'resource-constraint') this.streamManagementWanted = false;
    this.iqs.rejectAll(new ConnectionError('connection lost'));
    if (this.stopped || !wasOnline) return; // a failing attempt is handled by its connect()
    if (error instanceof StreamErrorReceived && error.condition === 'conflict') {
      this.stopped = true;
      this.setStatus('failed', { error: new Error(t('error.conflict')) });
      return;
    }
    this.scheduleReconnect(error, delayMs);
  }

  private scheduleReconnect(error: Error, delayMs?: number): void {
    const delay = delayMs ?? reconnectDelay(this.attempt++);
    this.setStatus('reconnecting', { error, retryInMs: delay, reconnecting: true });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.reconnect(), delay);
  }

  private async reconnect(): Promise<void> {
    if (this.stopped) return;
    this.setStatus('connecting', { reconnecting: true });
    const generation = this.generation + 1; // the one connect() takes
    try {
      await this.connect();
    } catch (error) {
      if (this.stopped || this.generation !== generation) return; // replaced by a newer attempt
      if (error instanceof AuthenticationError) {
        this.stopped = true;
        this.setStatus('failed', { error });
        return;
      }
      this.scheduleReconnect(error as Error);
    }
  }

  private dispatch(element: Element): void {
    if (element.attrs.xmlns === NS.sm) return this.streamManagementNonza(element);
    if (element.name === 'message' || element.name === 'presence' || element.name === 'iq') this.sm.received();
    switch (element.name) {
      case 'iq': return this.iqs.receive(element);
      case 'message': return this.emit('message', element);
      case 'presence': return this.emit('presence', element);
    }
  }

  /** XEP-0198 §4: answer <r/> with what we handled; an <a/> releases what it covers. */
  private streamManagementNonza(element: Element): void {
    if (!this.sm.enabled) return;
    if (element.name === 'r') {
      this.link?.transport.send(xml('a', { xmlns: NS.sm, h: String(this.sm.handled) }));
    } else if (element.name === 'a') {
      const h = Number(element.attrs.h);
      // an 'h' beyond what we sent is the server's error (§4); nothing to release then
      if (Number.isInteger(h) && h >= 0) this.sm.acknowledge(h);
      // what went out while the request was in flight is asked for next
      this.ackRequestedOn = undefined;
      if (this.link && this.sm.pending > 0) this.requestAck(this.link);
    }
  }

  private startPings(): void {
    clearInterval(this.pingTimer);
    const seconds = this.options.pingIntervalSeconds ?? 60;
    if (seconds <= 0) return;
    // XEP-0199 §4.2: a ping that goes unanswered means the connection is dead even if the socket looks open.
    this.pingTimer = setInterval(() => {
      const link = this.link;
      if (!link?.online) return;
      this.iq(xml('iq', { type: 'get', to: this.account.domain }, xml('ping', { xmlns: NS.ping }))).catch((error) => {
        if (error instanceof StanzaError && error.condition !== 'remote-server-timeout') return; // answered, with an error
        if (this.link === link) {
          link.transport.close();
          this.linkLost(link, new ConnectionError('the server stopped answering'));
        }
      });
    }, seconds * 1000);
  }

  private setStatus(status: ConnectionStatus, detail: StatusDetail): void {
    this.status = status;
    this.emit('status', status, detail);
  }
}
