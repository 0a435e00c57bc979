// XMPP over BOSH, XEP-0124 + XEP-0206, with fetch: session creation, rid sequencing, long polling
// with hold=1 (one request parked at the server, a second one to send), stream restart, terminate.
import { StreamParser, serialize, xml, type Element } from '@parley/shared';
import { ConnectionError } from '../errors.ts';
import { isSecureUrl, type Transport, type TransportHandler } from './transport.ts';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
export const NS_XBOSH = 'urn:xmpp:xbosh';

/** Seconds the server may hold a request (XEP-0124 'wait'). */
const WAIT_SECONDS = 30;
/** Network failures of one request retried (same rid, XEP-0124 §14.3) before giving up. */
const MAX_RETRIES = 3;
const RETRY_DELAY_MS = 1_000;
/** Delay before an empty long-polling request, so that a reply ready by then goes instead. */
const POLL_DELAY_MS = 30;

interface PendingResponse {
  body: Element;
}

export class BoshTransport implements Transport {
  readonly kind = 'bosh' as const;
  readonly secure: boolean;
  private readonly url: string;
  private domain = '';
  private sid: string | null = null;
  /** The rid of the next request (XEP-0124 §14.1: random start, +1 per request). */
  private rid = Math.floor(Math.random() * 2 ** 32) + 1;
  /** The next rid whose response may be handed to the stream (responses are read in rid order, §14). */
  private nextToDeliver = 0;
  private readonly arrived = new Map<number, PendingResponse>();
  /** Requests allowed at once (server's 'requests', XEP-0124 §7.2). */
  private maxRequests = 2;
  private inFlight = 0;
  private queue: Element[] = [];
  private restartWanted = false;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private finished = false;
  private readonly aborts = new Set<AbortController>();

  constructor(url: string, private readonly handler: TransportHandler) {
    this.url = new URL(url, typeof location === 'undefined' ? 'http://localhost/' : location.href).href;
    this.secure = isSecureUrl(this.url);
  }

  async open(domain: string): Promise<void> {
    this.domain = domain;
    this.nextToDeliver = this.rid;
    // XEP-0206 §5: session creation request.
    const request = this.body({
      to: domain, 'xml:lang': 'en', ver: '1.11', wait: WAIT_SECONDS, hold: 1, content: 'text/xml; charset=utf-8',
      'xmpp:version': '1.0', 'xmlns:xmpp': NS_XBOSH,
    }, []);
    let response: Element;
    try {
      response = await this.post(request);
    } catch (error) {
      this.finished = true;
      throw new ConnectionError(`BOSH: ${(error as Error).message}`, true);
    }
    if (response.attrs.type === 'terminate' || !response.attrs.sid) {
      this.finished = true;
      throw new ConnectionError(`BOSH: session refused (${response.attrs.condition ?? 'no sid'})`, true);
    }
    this.sid = response.attrs.sid;
    const requests = Number(response.attrs.requests);
    if (Number.isInteger(requests) && requests >= 1) this.maxRequests = Math.min(requests, 2);
    this.deliver(this.rid - 1, response);
    this.pump();
  }

  restart(): void {
    // XEP-0206 §5: the restart is a body of its own (no payloads).
    this.restartWanted = true;
    this.pump();
  }

  send(element: Element): void {
    if (this.finished) return;
    this.queue.push(element);
    // Batch what is sent in one turn of the event loop into one request.
    queueMicrotask(() => this.pump());
  }

  close(): void {
    if (this.finished || !this.sid) return this.finish();
    const payloads = this.queue;
    this.queue = [];
    const request = this.body({ sid: this.sid, type: 'terminate' }, payloads);
    this.finished = true;
    clearTimeout(this.pollTimer);
    for (const controller of this.aborts) controller.abort();
    this.post(request).catch(() => {}).finally(() => this.handler.closed());
  }

  /** Keep one request parked at the server and send whatever is queued, within the request window. */
  private pump(): void {
    if (this.finished || !this.sid) return;
    while (this.inFlight < this.maxRequests) {
      if (this.queue.length > 0) {
        const payloads = this.queue;
        this.queue = [];
        this.request(this.body({ sid: this.sid }, payloads));
      } else if (this.restartWanted) {
        this.restartWanted = false;
        this.request(this.body({ sid: this.sid, to: this.domain, 'xml:lang': 'en', 'xmpp:restart': 'true', 'xmlns:xmpp': NS_XBOSH }, []));
      } else if (this.inFlight === 0) {
        this.schedulePoll();
        return;
      } else {
        return;
      }
    }
  }

  /**
   * The empty request that keeps one request parked at the server goes out a moment later: an
   * answer often makes the client reply at once (SASL), and that reply then serves as the parked
   * request. Sending both could put an empty request beside a full one in the window, which a
   * strict server reads as overactivity (XEP-0124 §11, §12).
   */
  private schedulePoll(): void {
    if (this.pollTimer !== undefined) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      if (this.finished || !this.sid || this.inFlight > 0) return;
      if (this.queue.length > 0 || this.restartWanted) return this.pump();
      this.request(this.body({ sid: this.sid }, []));
    }, POLL_DELAY_MS);
  }

  private body(attrs: Record<string, string | number>, payloads: Element[]): { rid: number; text: string } {
    const rid = this.rid++;
    return { rid, text: serialize(xml('body', { rid, xmlns: NS_HTTPBIND, ...attrs }, ...payloads)) };
  }

  private request(request: { rid: number; text: string }): void {
    this.inFlight++;
    this.post(request).then((response) => {
      this.inFlight--;
      this.deliver(request.rid, response);
      this.pump();
    }, (error: Error) => {
      this.inFlight--;
      this.finish(new ConnectionError(`BOSH: ${error.message}`));
    });
  }

  /** POST one body, retrying network failures with the same rid; resolves with the parsed response body. */
  private async post(request: { rid: number; text: string }): Promise<Element> {
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      this.aborts.add(controller);
      const timer = setTimeout(() => controller.abort(), (WAIT_SECONDS + 15) * 1000);
      try {
        const response = await fetch(this.url, {
          method: 'POST', body: request.text, signal: controller.signal,
          headers: { 'Content-Type': 'text/xml; charset=utf-8' },
        });
        // XEP-0124 §17.1: an HTTP error status means the session is gone.
        if (!response.ok) throw new FatalHttpError(`HTTP ${response.status}`);
        return parseBody(await response.text());
      } catch (error) {
        if (error instanceof FatalHttpError || this.finished || attempt >= MAX_RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * (attempt + 1)));
      } finally {
        clearTimeout(timer);
        this.aborts.delete(controller);
      }
    }
  }

  /** Hand response payloads to the stream in rid order, whatever order the responses came in. */
  private deliver(rid: number, body: Element): void {
    this.arrived.set(rid, { body });
    while (this.arrived.has(this.nextToDeliver)) {
      const { body: next } = this.arrived.get(this.nextToDeliver)!;
      this.arrived.delete(this.nextToDeliver);
      this.nextToDeliver++;
      for (const node of next.children) if (typeof node !== 'string' && !this.finished) this.handler.element(node);
      if (next.attrs.type === 'terminate') {
        const condition = next.attrs.condition;
        this.finish(condition ? new ConnectionError(`BOSH session ended (${condition})`) : undefined);
        return;
      }
    }
  }

  private finish(error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.pollTimer);
    for (const controller of this.aborts) controller.abort();
    this.handler.closed(error);
  }
}

class FatalHttpError extends Error {}

/** Parse a response <body/> with the project's strict parser. */
export function parseBody(text: string): Element {
  let body: Element | undefined;
  let failure: string | undefined;
  const parser = new StreamParser({
    onStreamStart: () => {},
    onStreamEnd: () => {},
    onElement: (element) => { body = element; },
    onError: (condition, message) => { failure = `${condition}: ${message}`; },
  }, { mode: 'framed', maxElementSize: 4 * 1024 * 1024 });
  parser.writeFrame(text);
  if (failure || !body) throw new FatalHttpError(`bad response body (${failure ?? 'empty'})`);
  if (body.name !== 'body' || body.attrs.xmlns !== NS_HTTPBIND) throw new FatalHttpError('response is not a BOSH <body/>');
  return body;
}
