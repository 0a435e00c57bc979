// An external component's stream (XEP-0114 Jabber Component Protocol): a gateway or bot connects,
// opens a jabber:component:accept stream to its domain, proves the shared secret with
// <handshake>SHA-1(stream id + secret)</handshake>, and from then on serves that domain: the host
// table routes every stanza for it here (router/host-table.ts), and what it sends goes to the
// router with a component origin. The stream is the transport's listener, like the client stream.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  Element, JID, NS, StanzaError, StreamError, StreamParser, errorReply, isStanza, normalizeDomain, serialize, tryParseJid,
  type ParserErrorCondition, type StreamParserHandler,
} from '@parley/shared';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Routing } from '../core/module-api.ts';
import type { ComponentOrigin } from '../core/origin.ts';
import type { Component, HostTable } from '../router/host-table.ts';
import type { AcceptedStream, Connection } from './connection.ts';
import { componentFraming } from './framing.ts';
import type { OpenStreams } from './open-streams.ts';
import { checkStreamHeader } from './stream-header.ts';
import { InputHold, type StorageBackPressure } from './input-hold.ts';
import type { ComponentSecrets } from './component-secrets.ts';

/** What a component stream uses (built once per server: server.ts). */
export interface ComponentServices {
  readonly limits: Pick<Config['limits'], 'maxStanzaSize' | 'authTimeoutSeconds' | 'sendBufferBytes'>;
  readonly hosts: Pick<HostTable, 'addComponent' | 'removeComponent' | 'first'>;
  readonly secrets: ComponentSecrets;
  readonly router: Pick<Routing, 'route' | 'bounce'>;
  readonly streams: Pick<OpenStreams, 'opened' | 'closed'>;
  /** The handshake was accepted: the stream serves its domain from now on. */
  readonly serving?: (stream: ComponentStream) => void;
  /** A component whose stanzas add writes while the storage is behind stops being read (input-hold.ts). */
  readonly backPressure?: StorageBackPressure;
  readonly log: Logger;
}

type State =
  | 'awaiting-header'     // nothing yet: the next thing must be the stream header
  | 'awaiting-handshake'  // header answered, waiting for <handshake/>
  | 'checking'            // the secret is being looked up
  | 'serving'             // handshake accepted: the domain is the component's, stanzas flow
  | 'closed';

export class ComponentStream implements AcceptedStream, StreamParserHandler {
  /** The component's domain (the stream header's 'to'), once the header named a configured one. */
  name = '';
  readonly session = null;
  /** For the metrics' open streams by transport: a component's, not a client's, TCP stream. */
  readonly transport = 'component';
  private state: State = 'awaiting-header';
  private readonly streamId = randomBytes(12).toString('hex');
  private readonly parser: StreamParser;
  private authTimer: NodeJS.Timeout | null;
  private headerSent = false;
  private origin: ComponentOrigin | null = null;
  /** The hex digest the component must send (lower case; XEP-0114 §3), until it has sent one. */
  private expected = '';
  /** The host table's entry for the domain while this stream serves it. */
  private served: Component | null = null;
  /** Stanzas waiting while the router works on an earlier one asynchronously: their order is kept. */
  private backlog: Element[] | null = null;
  /** When the handshake was accepted (ms since the epoch), or null before. */
  connectedAt: number | null = null;
  /** Stanzas the component sent that went to the router, and stanzas written to it (the admin's listing). */
  stanzasIn = 0;
  stanzasOut = 0;

  constructor(private readonly services: ComponentServices, readonly connection: Connection) {
    this.parser = new StreamParser(this, { mode: 'stream', maxElementSize: services.limits.maxStanzaSize });
    // RFC 6120 §4.9.3.4 connection-timeout: a component that never completes its handshake is dropped.
    this.authTimer = setTimeout(handshakeTimedOut, services.limits.authTimeoutSeconds * 1000, this);
    this.authTimer.unref?.();
    services.streams.opened(this);
  }

  /** The domain the stream serves (OpenStreams: host-gone and system-shutdown reach it). */
  get domain(): string {
    return this.name;
  }

  /** It serves its domain (the handshake was accepted and the stream is open). */
  get serving(): boolean {
    return this.state === 'serving';
  }

  // ---- input from the transport ----

  receive(text: string): void {
    if (this.state !== 'closed') this.parser.write(text);
  }

  inputRejected(error: StreamError): void {
    this.streamError(error);
  }

  transportClosed(error?: Error): void {
    if (error) this.services.log.debug({ component: this.name, err: error.message }, 'component transport error');
    this.teardown(this.state === 'closed' ? null : 'connection lost');
  }

  // ---- parser events ----

  onStreamStart(name: string, attrs: Record<string, string>): void {
    if (this.state !== 'awaiting-header') return this.streamError(new StreamError('bad-format', 'unexpected stream header'));
    const refused = checkStreamHeader(name, attrs, NS.component);
    if (refused) return this.streamError(refused);
    let domain = '';
    try {
      domain = normalizeDomain(attrs.to ?? '');
    } catch {
      // not a domain name: no component serves it (below)
    }
    this.state = 'checking';
    this.whenDone(this.openStream(domain, attrs.to));
  }

  onElement(element: Element): void {
    if (this.state === 'awaiting-handshake') return this.handshake(element);
    if (this.state === 'serving') return this.enqueue(element);
    if (this.state === 'awaiting-header') this.streamError(new StreamError('bad-format', 'stream not opened'));
    // 'checking': nothing may come before the header is answered
    else if (this.state === 'checking') this.streamError(new StreamError('not-authorized', 'handshake first'));
  }

  onStreamEnd(): void {
    this.close();
  }

  onError(condition: ParserErrorCondition, text: string): void {
    this.streamError(new StreamError(condition, text));
  }

  // ---- the handshake (XEP-0114 §3) ----

  /** XEP-0114 §3: a hostname the server does not know as a component's gets host-unknown. */
  private async openStream(domain: string, asked: string | undefined): Promise<void> {
    const secret = domain === '' ? undefined : await this.services.secrets.secretFor(domain);
    if (this.isClosed) return;
    if (secret === undefined) {
      this.services.log.warn({ domain: asked ?? null, address: this.connection.remoteAddress, reason: 'no component is configured for that domain' }, 'component refused');
      return this.streamError(new StreamError('host-unknown', `no component ${asked ?? '(no to)'} is configured here`));
    }
    this.name = domain;
    this.expected = createHash('sha1').update(this.streamId + secret).digest('hex');
    this.sendHeader();
    this.state = 'awaiting-handshake';
  }

  private handshake(element: Element): void {
    if (element.name !== 'handshake' || element.attrs.xmlns !== NS.component) {
      return this.streamError(new StreamError('not-authorized', 'the handshake comes first (XEP-0114 §3)'));
    }
    const given = Buffer.from(element.getText().trim().toLowerCase());
    const expected = Buffer.from(this.expected);
    this.expected = '';
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      this.services.log.warn({ domain: this.name, address: this.connection.remoteAddress, reason: 'wrong secret' }, 'component refused');
      return this.streamError(new StreamError('not-authorized', 'the handshake does not match the secret'));
    }
    try {
      // the domain is served by this stream from now on; a name already served (the same component
      // connected twice, an account domain) is a conflict
      const served: Component = { kind: 'component', name: this.name, receive: (stanza, from, to) => this.deliver(stanza, from, to) };
      this.services.hosts.addComponent(served);
      this.served = served;
    } catch {
      this.services.log.warn({ domain: this.name, address: this.connection.remoteAddress, reason: 'already connected' }, 'component refused');
      const name = this.name;
      this.name = '';
      return this.streamError(new StreamError('conflict', `${name} is already served here`));
    }
    this.clearAuthTimer();
    const hold = new InputHold(this.services.backPressure, this.connection);
    this.origin = Object.freeze({ kind: 'component', domain: this.name, markUncommittedWrite: () => hold.wrote() });
    this.state = 'serving';
    this.connectedAt = Date.now();
    this.connection.write('<handshake/>');
    this.services.log.info({ domain: this.name, address: this.connection.remoteAddress }, 'component connected');
    this.services.serving?.(this);
  }

  // ---- stanzas from the component ----

  private enqueue(element: Element): void {
    if (this.backlog) this.backlog.push(element);
    else this.process(element);
  }

  private process(element: Element): void {
    if (!isStanza(element)) {
      return this.streamError(new StreamError('unsupported-stanza-type', `<${element.name.slice(0, 64)}/> is not a stanza`));
    }
    const ns = element.attrs.xmlns;
    // some component libraries write jabber:client stanzas (slixmpp's use_jc_ns): the same stanzas
    if (ns !== NS.component && ns !== NS.client) {
      return this.streamError(new StreamError('invalid-namespace', `stanzas must be in ${NS.component}`));
    }
    // XEP-0114 §3 (and RFC 6120 §4.9.3.14 for streams between servers): both addresses are given,
    // and 'from' is at the component's own domain — it speaks for nobody else
    const { from: claimed, to: addressed } = element.attrs;
    if (claimed === undefined || addressed === undefined) {
      return this.streamError(new StreamError('improper-addressing', 'a component stanza needs both from and to'));
    }
    const from = tryParseJid(claimed);
    if (!from || from.domain !== this.name) {
      return this.streamError(new StreamError('invalid-from', `from must be at ${this.name}`));
    }
    element.attrs.xmlns = NS.client; // inside the server every stanza is jabber:client
    const to = tryParseJid(addressed);
    if (!to) {
      // answered here: the router could not address a reply from a 'to' that is not a JID
      if (element.attrs.type !== 'error' && !(element.name === 'iq' && element.attrs.type === 'result')) {
        this.write(errorReply(element, new StanzaError('jid-malformed', 'invalid to address')));
      }
      return;
    }
    this.stanzasIn++;
    const result = this.services.router.route(element, from, to, this.origin!);
    if (result) this.whenDone(result);
  }

  /** Wait for asynchronous work before the next stanza of this stream is processed. */
  private whenDone(work: Promise<void>): void {
    this.backlog ??= [];
    work.catch((error: unknown) => {
      this.services.log.error({ component: this.name, err: error }, 'component stanza handling failed');
      this.streamError(new StreamError('internal-server-error'));
    }).finally(() => {
      const waiting = this.backlog;
      this.backlog = null;
      for (let i = 0; waiting && i < waiting.length; i++) {
        if (this.state !== 'serving') return;
        if (this.backlog) {
          (this.backlog as Element[]).push(...waiting.slice(i));
          return;
        }
        this.process(waiting[i]!);
      }
    });
  }

  // ---- stanzas to the component (the host table's Component) ----

  private deliver(stanza: Element, from: JID, to: JID): void {
    if (this.state !== 'serving') return;
    // the element itself may be delivered elsewhere too: the addresses go on a copy
    const copy = new Element(stanza.name, { ...stanza.attrs, from: stanza.attrs.from ?? from.full, to: stanza.attrs.to ?? to.full });
    copy.children = stanza.children;
    this.stanzasOut++;
    this.write(copy);
  }

  /** A stanza in the component's own namespace (its stream's default). */
  private write(stanza: Element): void {
    stanza.attrs.xmlns = NS.component;
    this.connection.write(serialize(stanza));
    if (this.connection.bufferedBytes() > this.services.limits.sendBufferBytes) {
      // a component that does not read must not make the server hold its traffic without bound
      this.streamError(new StreamError('policy-violation', 'too much unread data'));
    }
  }

  // ---- end of the stream ----

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** RFC 6120 §4.9: header first if none was sent, then the error, then the footer; the connection closes. */
  streamError(error: StreamError): void {
    if (this.state === 'closed') return;
    this.ensureHeaderSent();
    this.services.log.debug({ component: this.name, condition: error.condition, text: error.text }, 'component stream error');
    this.connection.write(serialize(error.toElement()));
    this.end(error.condition);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.ensureHeaderSent();
    this.end(null);
  }

  private end(reason: string | null): void {
    this.connection.write(componentFraming.footer());
    this.teardown(reason);
    this.connection.close();
  }

  private ensureHeaderSent(): void {
    if (!this.headerSent) this.sendHeader();
  }

  private sendHeader(): void {
    this.headerSent = true;
    this.connection.write(componentFraming.header({ id: this.streamId, from: this.name || this.services.hosts.first, lang: 'en' }));
  }

  private clearAuthTimer(): void {
    if (this.authTimer) clearTimeout(this.authTimer);
    this.authTimer = null;
  }

  private teardown(reason: string | null): void {
    if (this.state === 'closed') return;
    const served = this.served;
    this.served = null;
    this.state = 'closed';
    this.clearAuthTimer();
    this.backlog = null;
    this.services.streams.closed(this);
    if (served) {
      // the domain is not served any more: stanzas to it bounce (remote-server-not-found) until it reconnects
      this.services.hosts.removeComponent(served);
      this.services.log.info({ domain: this.name, address: this.connection.remoteAddress, reason: reason ?? 'closed' }, 'component disconnected');
    }
  }
}

function handshakeTimedOut(stream: ComponentStream): void {
  stream.streamError(new StreamError('connection-timeout', 'the handshake took too long'));
}
