// Raw sockets for bad-input tests, over TCP (plain or TLS) and WebSocket: the test writes what the
// client sends, then reads what the server answers one top-level item at a time (stream header,
// element, footer), the way a client would — or waits for text in the transcript (waitFor).
import net from 'node:net';
import tls from 'node:tls';
import { parse, type Element } from 'ltx';
import { expect } from 'vitest';
import { NS } from '@parley/shared';
import { scramMechanism } from '@parley/shared/sasl/scram';
import { decodePayload, encodePayload } from '@parley/shared/sasl/encoding';
import WebSocket from 'ws';

export { NS };

/** The served domain of the default test server. */
export const DOMAIN = 'example.com';

type Attributes = Record<string, string | undefined>;

/** An RFC 6120 §4.7 initial stream header; pass `undefined` to leave an attribute out. */
export function streamHeader(attributes: Attributes = {}): string {
  const attrs: Attributes = { to: DOMAIN, version: '1.0', xmlns: NS.client, 'xmlns:stream': NS.stream, ...attributes };
  return `<?xml version='1.0'?><stream:stream${formatAttributes(attrs)}>`;
}

/** The RFC 7395 §3.3.2 <open/> frame. */
export function openFrame(attributes: Attributes = {}): string {
  return `<open${formatAttributes({ xmlns: NS.framing, to: DOMAIN, version: '1.0', ...attributes })}/>`;
}

function formatAttributes(attrs: Attributes): string {
  return Object.entries(attrs).filter(([, value]) => value !== undefined).map(([key, value]) => ` ${key}='${value}'`).join('');
}

/** Names of an element's child elements, e.g. ['invalid-mechanism'] for a SASL <failure/>. */
export function childNames(element: Element): string[] {
  return element.getChildElements().map((child) => child.name);
}

export type Received =
  | { kind: 'header'; attrs: Record<string, string> }
  | { kind: 'element'; element: Element; xml: string }
  | { kind: 'footer' };

interface Transport {
  send(data: string): void;
  closed: Promise<void>;
  isClosed(): boolean;
  destroy(): void;
}

/** One side of a raw stream: TCP (one long XML document) or WebSocket (one element per frame). */
export class RawPeer {
  /** TCP: characters of the transcript already read; WebSocket: frames already read. */
  private position = 0;

  /** WebSocket: every message received, as text; null on TCP. */
  constructor(private readonly transport: Transport, private readonly transcript: () => string, readonly frames: string[] | null) {}

  /** WebSocket (RFC 7395): one element per frame, <open/> and <close/> for the stream tags. */
  get framed(): boolean {
    return this.frames !== null;
  }

  send(data: string): void {
    this.transport.send(data);
  }

  /** The client opens (or restarts) its stream: a stream header, or <open/> on WebSocket. */
  openStream(attributes?: Attributes): void {
    this.send(this.framed ? openFrame(attributes) : streamHeader(attributes));
  }

  /** Everything the server sent so far. */
  get received(): string {
    return this.frames ? this.frames.join('\n') : this.transcript();
  }

  get closed(): Promise<void> {
    return this.transport.closed;
  }

  destroy(): void {
    this.transport.destroy();
  }

  /** Waits until everything received so far matches (a substring or a RegExp); resolves with it. */
  async waitFor(pattern: string | RegExp, timeoutMs = 5000): Promise<string> {
    const matches = () => (typeof pattern === 'string' ? this.received.includes(pattern) : pattern.test(this.received));
    const started = Date.now();
    while (!matches()) {
      if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${pattern}; got: ${this.received}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    return this.received;
  }

  /** The next item the server sent. */
  async next(timeoutMs = 5000): Promise<Received> {
    const started = Date.now();
    for (;;) {
      const item = this.tryRead();
      if (item) return item;
      if (this.transport.isClosed()) throw new Error(`connection closed; received: ${this.received}`);
      if (Date.now() - started > timeoutMs) throw new Error(`nothing more within ${timeoutMs} ms; received: ${this.received}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** The server's stream header (TCP) or <open/> (WebSocket), checked against RFC 6120 §4.7 / RFC 7395 §3.3.2. */
  async receiveHeader(): Promise<Record<string, string>> {
    if (this.frames) {
      const open = await this.receive('open', NS.framing);
      expect(open.attrs).toMatchObject({ version: '1.0', from: expect.any(String), id: expect.any(String) });
      return open.attrs as Record<string, string>;
    }
    const item = await this.next();
    if (item.kind !== 'header') throw new Error(`expected a stream header, got ${describe(item)}`);
    expect(item.attrs).toMatchObject({ xmlns: NS.client, 'xmlns:stream': NS.stream, version: '1.0', id: expect.any(String) });
    return item.attrs;
  }

  /** The next element, which must have this name (and namespace, when given). */
  async receive(name: string, xmlns?: string, timeoutMs?: number): Promise<Element> {
    const item = await this.next(timeoutMs);
    if (item.kind !== 'element' || item.element.name !== name || (xmlns !== undefined && item.element.attrs.xmlns !== xmlns)) {
      throw new Error(`expected <${name}${xmlns ? ` xmlns='${xmlns}'` : ''}>, got ${describe(item)}`);
    }
    return item.element;
  }

  async receiveFeatures(): Promise<Element> {
    const features = await this.receive('stream:features');
    if (this.frames) expect(features.attrs['xmlns:stream']).toBe(NS.stream);
    return features;
  }

  /**
   * RFC 6120 §4.9 / RFC 7395 §3.6: <stream:error> with exactly this condition, then the end of the
   * stream (</stream:stream> or <close/>), then the connection closes. Returns the error's <text/>.
   */
  async receiveStreamError(condition: string, timeoutMs?: number): Promise<string | undefined> {
    const error = await this.receive('stream:error', undefined, timeoutMs);
    if (this.frames) expect(error.attrs['xmlns:stream']).toBe(NS.stream);
    const [first, ...rest] = error.getChildElements();
    expect({ name: first?.name, xmlns: first?.attrs.xmlns }).toEqual({ name: condition, xmlns: NS.streams });
    for (const other of rest) expect({ name: other.name, xmlns: other.attrs.xmlns }).toEqual({ name: 'text', xmlns: NS.streams });
    await this.receiveEnd();
    return error.getChildText('text', NS.streams) ?? undefined;
  }

  /** The server closes the stream, then the connection, and sends nothing after. */
  async receiveEnd(): Promise<void> {
    if (this.frames) await this.receive('close', NS.framing);
    else {
      const item = await this.next();
      if (item.kind !== 'footer') throw new Error(`expected </stream:stream>, got ${describe(item)}`);
    }
    await this.expectClosed();
    expect(this.tryRead()).toBeNull();
  }

  async expectClosed(timeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.transport.closed,
      new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`connection still open; received: ${this.received}`)), timeoutMs); }),
    ]).finally(() => clearTimeout(timer));
  }

  private tryRead(): Received | null {
    if (this.frames) {
      if (this.position >= this.frames.length) return null;
      const xml = this.frames[this.position++]!;
      // RFC 7395 §3.3.3: every frame is a standalone XML document (ltx.parse throws otherwise).
      return { kind: 'element', element: parse(xml), xml };
    }
    const text = this.transcript();
    let at = this.position;
    for (;;) {
      while (at < text.length && /\s/.test(text[at]!)) at++;
      if (!text.startsWith('<?xml', at)) break;
      const end = text.indexOf('?>', at);
      if (end === -1) return null;
      at = end + 2;
    }
    if (at >= text.length) return null;
    if (text.startsWith('</stream:stream>', at)) {
      this.position = at + '</stream:stream>'.length;
      return { kind: 'footer' };
    }
    if (text.startsWith('<stream:stream', at)) {
      const end = text.indexOf('>', at);
      if (end === -1) return null;
      this.position = end + 1;
      return { kind: 'header', attrs: parse(`${text.slice(at, end)}/>`).attrs as Record<string, string> };
    }
    const end = elementEnd(text, at);
    if (end === -1) return null;
    this.position = end;
    const xml = text.slice(at, end);
    return { kind: 'element', element: parse(xml), xml };
  }
}

/** End offset of the element starting at `start` (the server escapes '<' and '>' in text and attributes), or -1. */
function elementEnd(text: string, start: number): number {
  const tag = /<(\/?)[^>]*?(\/?)>/g;
  tag.lastIndex = start;
  let depth = 0;
  for (let match = tag.exec(text); match; match = tag.exec(text)) {
    if (match[1]) depth--;
    else if (!match[2]) depth++;
    if (depth === 0) return tag.lastIndex;
  }
  return -1;
}

function describe(item: Received): string {
  return item.kind === 'element' ? item.xml : item.kind === 'header' ? '<stream:stream>' : '</stream:stream>';
}

// ---- transports ----

export interface TcpOptions {
  /** Direct TLS (XEP-0368) with ALPN xmpp-client. */
  tls?: boolean;
  servername?: string;
  /** Source address, e.g. '127.0.0.2', to look like another client to per-IP limits. */
  localAddress?: string;
}

export interface TcpPeer extends RawPeer {
  /** The socket now in use (the TLS one after startTls). */
  readonly socket: net.Socket;
  /** Upgrade in place after <proceed/> (RFC 6120 §5.4.3.3). */
  startTls(servername?: string): Promise<tls.TLSSocket>;
}

export async function connectTcp(port: number, options: TcpOptions = {}): Promise<TcpPeer> {
  let transcript = '';
  let closed = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => { markClosed = resolve; });
  let socket: net.Socket = await new Promise((resolve, reject) => {
    const common = { host: '127.0.0.1', port, localAddress: options.localAddress };
    const s: net.Socket = options.tls
      ? tls.connect({ ...common, servername: options.servername, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => resolve(s))
      : net.connect(common, () => resolve(s));
    s.once('error', reject);
  });
  const listen = (s: net.Socket) => {
    s.setEncoding('utf8');
    s.on('data', (text: string) => { transcript += text; });
    s.on('close', () => { closed = true; markClosed(); });
    s.on('error', () => {});
  };
  listen(socket);
  const transport: Transport = {
    send: (data) => { socket.write(data); },
    closed: closedPromise,
    isClosed: () => closed,
    destroy: () => socket.destroy(),
  };
  const peer = new RawPeer(transport, () => transcript, null) as TcpPeer;
  Object.defineProperty(peer, 'socket', { get: () => socket });
  peer.startTls = (servername) => new Promise((resolve, reject) => {
    socket.removeAllListeners('data');
    socket.removeAllListeners('close');
    const secure = tls.connect({ socket, servername, rejectUnauthorized: false }, () => resolve(secure));
    secure.once('error', reject);
    socket = secure;
    listen(secure);
  });
  return peer;
}

export interface WebSocketPeer extends RawPeer {
  readonly frames: string[];
  readonly socket: WebSocket;
}

/**
 * A WebSocket (RFC 7395) offering `protocol`; rejects with 'HTTP <status>' when the server refuses
 * the upgrade.
 */
export async function connectWebSocket(port: number, protocol: string | string[] = 'xmpp', path = '/xmpp-websocket'): Promise<WebSocketPeer> {
  const frames: string[] = [];
  const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocol);
  let closed = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => { markClosed = resolve; });
  const close = () => { closed = true; markClosed(); };
  socket.on('message', (data) => frames.push(data.toString()));
  socket.on('close', close);
  socket.on('error', close);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
  const peer = new RawPeer({ send: (data) => socket.send(data), closed: closedPromise, isClosed: () => closed, destroy: () => socket.terminate() },
    () => frames.join('\n'), frames) as WebSocketPeer;
  Object.defineProperty(peer, 'socket', { value: socket });
  return peer;
}

// ---- SASL and binding ----

/**
 * SCRAM (RFC 5802 §3, §5) with the shared client (@parley/shared/sasl/scram), to log in where PLAIN
 * is not offered. Returns the outcome: <success/> (its server signature verified) or <failure/>.
 */
export async function scramAuthenticate(peer: RawPeer, username: string, password: string,
  mechanism: 'SCRAM-SHA-1' | 'SCRAM-SHA-256' = 'SCRAM-SHA-1'): Promise<Element> {
  const scram = scramMechanism(mechanism === 'SCRAM-SHA-1' ? 'SHA-1' : 'SHA-256', username, password);
  peer.send(`<auth xmlns='${NS.sasl}' mechanism='${mechanism}'>${encodePayload(await scram.initial())}</auth>`);
  const challenge = await peer.next();
  if (challenge.kind !== 'element' || challenge.element.name !== 'challenge') return expectElement(challenge);
  // the client checks the server's nonce (it must extend ours) and its iteration count
  const response = await scram.challenge(decodePayload(challenge.element.getText()));
  peer.send(`<response xmlns='${NS.sasl}'>${encodePayload(response)}</response>`);
  const outcome = expectElement(await peer.next());
  // RFC 5802 §5: a server that does not prove it knows the password is refused (this throws)
  if (outcome.name === 'success') await scram.success(decodePayload(outcome.getText()));
  return outcome;
}

/** PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd. */
export function plainAuth(username: string, password: string, authzid = ''): string {
  return `<auth xmlns='${NS.sasl}' mechanism='PLAIN'>${b64(`${authzid}\0${username}\0${password}`)}</auth>`;
}

/**
 * STARTTLS (RFC 6120 §5.4) on a stream whose features were just read: <starttls/>, <proceed/>, the
 * TLS handshake, then the client restarts the stream. Returns the new features.
 */
export async function negotiateStartTls(peer: TcpPeer, servername?: string): Promise<Element> {
  peer.send(`<starttls xmlns='${NS.tls}'/>`);
  await peer.receive('proceed', NS.tls);
  await peer.startTls(servername);
  peer.openStream();
  await peer.receiveHeader();
  return peer.receiveFeatures();
}

export function bindRequest(resource?: string, id = 'bind-1'): string {
  return `<iq type='set' id='${id}'><bind xmlns='${NS.bind}'>${resource ? `<resource>${resource}</resource>` : ''}</bind></iq>`;
}

export interface BoundSession<P extends RawPeer> {
  peer: P;
  /** The full JID the server bound. */
  jid: string;
}

/** Opens a stream, logs in with SCRAM-SHA-1 (no TLS needed: use a plaintext-on-loopback server) and binds. */
export async function openBoundSession<P extends RawPeer>(peer: P, username: string, password: string,
  resource?: string): Promise<BoundSession<P>> {
  peer.openStream();
  await peer.receiveHeader();
  await peer.receiveFeatures();
  const outcome = await scramAuthenticate(peer, username, password);
  if (outcome.name !== 'success') throw new Error(`login failed: ${outcome.toString()}`);
  return { peer, jid: await restartAndBind(peer, undefined, resource) };
}

/** After <success/>: restart the stream (RFC 6120 §6.4.6) and bind; returns the bound full JID. */
export async function restartAndBind(peer: RawPeer, attributes?: Attributes, resource?: string): Promise<string> {
  peer.openStream(attributes);
  await peer.receiveHeader();
  await peer.receiveFeatures();
  peer.send(bindRequest(resource));
  const result = await peer.receive('iq');
  const jid = result.getChild('bind', NS.bind)?.getChildText('jid');
  if (result.attrs.type !== 'result' || !jid) throw new Error(`bind failed: ${result.toString()}`);
  return jid;
}

function expectElement(item: Received): Element {
  if (item.kind !== 'element') throw new Error(`expected an element, got ${describe(item)}`);
  return item.element;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
