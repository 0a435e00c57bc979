// The XMPP client: one logical session over WebSocket (BOSH when WebSocket cannot connect),
// re-established with backoff when it drops; iq requests with replies; stanzas as events.
import { NS, StanzaError, errorReply, parseJid, parseStanzaError, xml, type Element, type JID } from '@parley/shared';
import { reconnectDelay } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { AuthenticationError, ConnectionError, StreamErrorReceived } from './errors.ts';
import { randomId } from './ids.ts';
import { Inbox } from './inbox.ts';
import { negotiate, type NegotiatedSession } from './negotiation.ts';
import type { Credentials } from './sasl/index.ts';
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
  message: [Element];
  presence: [Element];
}

export type IqHandler = (iq: Element) => Element | null | Promise<Element | null>;

const IQ_TIMEOUT_MS = 20_000;

/** The error reply behind a rejected iq: its application-specific condition (RFC 6120 §8.3.2) is read from it. */
const errorReplies = new WeakMap<Error, Element>();

export function errorReplyOf(error: unknown): Element | undefined {
  return error instanceof Error ? errorReplies.get(error) : undefined;
}

/** One connection attempt: a transport and what it received; callbacks of a replaced link are ignored. */
interface Link {
  transport: Transport;
  inbox: Inbox;
  online: boolean;
}

export class XmppClient extends Emitter<ClientEvents> {
  status: ConnectionStatus = 'offline';
  readonly account: JID;
  /** The bound full JID once online. */
  jid: JID | null = null;
  transportKind: TransportKind | null = null;

  private readonly resource: string;
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
  private readonly pending = new Map<string, { resolve: (iq: Element) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly iqHandlers = new Map<string, IqHandler>();

  constructor(private readonly options: ClientOptions) {
    super();
    this.account = parseJid(options.jid).toBare();
    if (!this.account.local) throw new Error(t('error.fullAddress'));
    this.resource = options.resource ?? `parley-${randomId(4)}`;
    this.transportOrder = options.transports ?? ['websocket', 'bosh'];
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
    const link = this.link;
    this.link = null;
    if (link?.online) link.transport.send(xml('presence', { xmlns: NS.client, type: 'unavailable' }));
    link?.transport.close();
    this.rejectPending(new ConnectionError('signed out'));
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

  /** Send a stanza; false when not online (the caller keeps it for later). */
  send(stanza: Element): boolean {
    const link = this.link;
    if (!link?.online) return false;
    if (!stanza.attrs.xmlns) stanza.attrs.xmlns = NS.client; // RFC 7395 §3.3.3, XEP-0206 §8
    link.transport.send(stanza);
    return true;
  }

  /** Send an iq get/set and wait for its result; an error reply rejects with a StanzaError. */
  iq(request: Element, timeoutMs = IQ_TIMEOUT_MS): Promise<Element> {
    const id = (request.attrs.id ??= randomId(8));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StanzaError('remote-server-timeout', 'no answer'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.send(request)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ConnectionError('not connected'));
      }
    });
  }

  /** Answer incoming iq get/set whose payload has this namespace. */
  handleIq(type: 'get' | 'set', namespace: string, handler: IqHandler): void {
    this.iqHandlers.set(`${type} ${namespace}`, handler);
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
        const session = await negotiate(link.transport, link.inbox, this.account, credentials, this.resource);
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
    this.jid = session.jid;
    this.transportKind = kind;
    this.attempt = 0;
    const reconnected = this.everOnline;
    this.everOnline = true;
    this.startPings();
    this.scheduleProbe(link, kind);
    this.setStatus('online', { transport: kind });
    this.emit('online', { ...session, reconnected });
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
        if (this.link === link) this.linkLost(link, error ?? new ConnectionError('the server closed the connection'));
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
    this.rejectPending(new ConnectionError('connection lost'));
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
    switch (element.name) {
      case 'iq': return this.receiveIq(element);
      case 'message': return this.emit('message', element);
      case 'presence': return this.emit('presence', element);
    }
  }

  private receiveIq(iq: Element): void {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') {
      const waiter = this.pending.get(iq.attrs.id ?? '');
      if (!waiter) return;
      this.pending.delete(iq.attrs.id!);
      clearTimeout(waiter.timer);
      if (type === 'result') waiter.resolve(iq);
      else {
        const error = parseStanzaError(iq) ?? new StanzaError('undefined-condition');
        errorReplies.set(error, iq);
        waiter.reject(error);
      }
      return;
    }
    if (type !== 'get' && type !== 'set') return;
    const payload = iq.children.find((node): node is Element => typeof node !== 'string');
    const handler = payload && this.iqHandlers.get(`${type} ${payload.getNS()}`);
    // RFC 6120 §8.4: an iq nobody handles gets service-unavailable.
    if (!handler) {
      this.send(errorReply(iq, new StanzaError('service-unavailable')));
      return;
    }
    Promise.resolve().then(() => handler(iq)).then(
      (result) => this.send(xml('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from }, result)),
      (error) => this.send(errorReply(iq, error instanceof StanzaError ? error : new StanzaError('internal-server-error'))),
    );
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

  private rejectPending(error: Error): void {
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }

  private setStatus(status: ConnectionStatus, detail: StatusDetail): void {
    this.status = status;
    this.emit('status', status, detail);
  }
}
