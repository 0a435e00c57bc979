// Suite integration test helpers: a server with the admin API, JWTs signed like the suite signs them,
// real HTTP servers for the JWKS and the core auth backend, a real nats-server, and raw SASL
// OAUTHBEARER logins over TCP, WebSocket and BOSH (@xmpp/client has no OAUTHBEARER).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import net from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import WebSocket from 'ws';
import { parse, type Element } from 'ltx';
import { startServer, type TestServer, type TestServerOptions } from './server.ts';
import { NS, RawPeer, bindRequest, connectTcp, restartAndBind as restartStreamAndBind, scramAuthenticate, type TcpPeer } from './raw-stream.ts';
import { bodyXml } from './bosh.ts';
import type { LoggedInClient } from './clients.ts';
import { requestByName } from './by-name.ts';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';
export const SSO_SECRET = 'test-sso-secret-0123456789abcdef0123456789';
export const SSO_AUDIENCE = 'parley';

/** A test server with the admin API on (static token) and a roomy lockout (these tests fail logins on purpose). */
export function startSuiteServer(options: TestServerOptions = {}): Promise<TestServer> {
  return startServer({
    ...options,
    config: {
      ...options.config,
      admin: { token: ADMIN_TOKEN, ...options.config?.admin },
      limits: { authFailures: 1000, ...options.config?.limits },
      directory: { eventPollMs: 100, ...options.config?.directory },
    },
  });
}

// ---- admin API ----

export interface ApiAnswer { status: number; body: unknown }

export async function api(server: TestServer, method: string, path: string, body?: unknown,
  token: string | null = ADMIN_TOKEN): Promise<ApiAnswer> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`http://127.0.0.1:${server.ports.http}/admin/api/${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (e.g. the plain 404 when the API is off)
  }
  return { status: response.status, body: parsed };
}

// ---- tokens ----

export interface TokenOptions {
  claims?: JWTPayload;
  audience?: string;
  /** seconds from now; negative = already expired */
  expiresIn?: number;
}

export function hs256Token(email: string, options: TokenOptions & { secret?: string } = {}): Promise<string> {
  return sign(new TextEncoder().encode(options.secret ?? SSO_SECRET), 'HS256', email, options);
}

async function sign(key: Parameters<SignJWT['sign']>[0], alg: string, email: string, options: TokenOptions, kid?: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ email, ...options.claims })
    .setProtectedHeader(kid ? { alg, kid } : { alg })
    .setSubject(email.split('@')[0]!)
    .setAudience(options.audience ?? SSO_AUDIENCE)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + (options.expiresIn ?? 300))
    .sign(key);
}

/** A signing key pair whose public half is published in a JWKS. */
export interface SuiteSigner {
  alg: 'RS256' | 'EdDSA';
  kid: string;
  jwk: Record<string, unknown>;
  token(email: string, options?: TokenOptions): Promise<string>;
}

export async function suiteSigner(alg: 'RS256' | 'EdDSA', kid: string): Promise<SuiteSigner> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { crv: alg === 'EdDSA' ? 'Ed25519' : undefined, extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, jwk, token: (email, options = {}) => sign(privateKey, alg, email, options, kid) };
}

// ---- real HTTP servers (JWKS, core auth) ----

export interface HttpStub {
  url: string;
  requests: Array<{ method: string; url: string; body: string }>;
  close(): Promise<void>;
}

export async function startHttpStub(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<HttpStub> {
  const requests: HttpStub['requests'] = [];
  const sockets = new Set<net.Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, body, res);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

export function serveJwks(keys: Array<Record<string, unknown>>): Promise<HttpStub> {
  return startHttpStub((_req, _body, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
  });
}

/** A loopback port nothing listens on (for a service that is down). */
export async function closedPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

// ---- nats-server ----

export interface NatsServer { url: string; stop(): Promise<void> }

/** Debian's nats-server on a free loopback port, stopped by the test. */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await closedPort();
  // Debian installs it in /usr/sbin, which is not on every user's PATH
  const binary = existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
  const child: ChildProcess = spawn(binary, ['-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start: ${output}`)), 10_000);
    child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      output += text;
      if (output.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`nats-server exited with ${code}: ${output}`)); });
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

// ---- OAUTHBEARER (RFC 7628) over raw streams ----

/** The client's initial response: gs2-header %x01 auth=Bearer <token> %x01 %x01. */
export function oauthBearerAuth(token: string, authzid = ''): string {
  const message = `n,${authzid ? `a=${authzid}` : ''},\x01host=example.com\x01auth=Bearer ${token}\x01\x01`;
  return `<auth xmlns='${NS.sasl}' mechanism='OAUTHBEARER'>${Buffer.from(message).toString('base64')}</auth>`;
}

export interface SaslResult {
  /** 'success', or the <failure/> condition */
  outcome: string;
  text?: string | undefined;
  /** The RFC 7628 §3.2.2 error challenge, when the server sent one. */
  errorStatus?: string | undefined;
}

/** Send the OAUTHBEARER auth on a stream whose features were read; acknowledges an error challenge. */
export async function oauthBearerLogin(peer: RawPeer, token: string, authzid = ''): Promise<SaslResult> {
  peer.send(oauthBearerAuth(token, authzid));
  let answer = await elementOf(peer);
  let errorStatus: string | undefined;
  if (answer.name === 'challenge') {
    errorStatus = (JSON.parse(Buffer.from(answer.getText(), 'base64').toString()) as { status: string }).status;
    peer.send(`<response xmlns='${NS.sasl}'>AQ==</response>`); // a single %x01 (RFC 7628 §3.2.3)
    answer = await elementOf(peer);
  }
  return saslResult(answer, errorStatus);
}

function saslResult(answer: Element, errorStatus?: string): SaslResult {
  if (answer.name === 'success') return { outcome: 'success' };
  const condition = answer.getChildElements().find((child) => child.name !== 'text')?.name ?? '?';
  return { outcome: condition, text: answer.getChildText('text') ?? undefined, errorStatus };
}

async function elementOf(peer: RawPeer): Promise<Element> {
  const item = await peer.next();
  if (item.kind !== 'element') throw new Error(`expected an element, got ${item.kind}`);
  return item.element;
}

/** Mechanisms offered in a <stream:features/>. */
export function mechanismsOf(features: Element): string[] {
  return features.getChild('mechanisms', NS.sasl)?.getChildren('mechanism').map((m) => m.getText()) ?? [];
}

/** Direct TLS (XEP-0368) to the c2s port: stream opened, features read. */
export async function openTls(server: TestServer, to = 'example.com'): Promise<{ peer: TcpPeer; features: Element }> {
  const peer = await connectTcp(server.ports.c2sTls!, { tls: true });
  peer.openStream({ to });
  await peer.receiveHeader();
  return { peer, features: await peer.receiveFeatures() };
}

/** WebSocket over TLS (wss) on the HTTPS listener: <open/> sent, features read. */
export async function openSecureWebSocket(server: TestServer, to = 'example.com'): Promise<{ peer: RawPeer; features: Element }> {
  const socket = new WebSocket(`wss://127.0.0.1:${server.ports.https}/xmpp-websocket`, 'xmpp', { rejectUnauthorized: false });
  const frames: string[] = [];
  let closed = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => { markClosed = resolve; });
  socket.on('message', (data) => frames.push(data.toString()));
  socket.on('close', () => { closed = true; markClosed(); });
  socket.on('error', () => { closed = true; markClosed(); });
  await new Promise<void>((resolve, reject) => { socket.once('open', () => resolve()); socket.once('error', reject); });
  const peer = new RawPeer({ send: (data) => socket.send(data), closed: closedPromise, isClosed: () => closed, destroy: () => socket.terminate() },
    () => frames.join('\n'), frames);
  peer.openStream({ to });
  await peer.receiveHeader();
  return { peer, features: await peer.receiveFeatures() };
}

/** After <success/>: restart the stream and bind; returns the bound full JID. */
export function restartAndBind(peer: RawPeer, to = 'example.com', resource = 'sso'): Promise<string> {
  return restartStreamAndBind(peer, { to }, resource);
}

// ---- BOSH over HTTPS ----

export class SecureBosh {
  private rid = 5_000_000 + Math.floor(Math.random() * 1_000_000);
  sid = '';

  constructor(private readonly server: TestServer) {}

  private async post(attrs: Record<string, string | number | undefined>, payload = ''): Promise<Element[]> {
    const response = await requestByName(`https://127.0.0.1:${this.server.ports.https}/http-bind`, {
      method: 'POST', body: bodyXml(attrs, payload), headers: { 'content-type': 'text/xml; charset=utf-8' },
    });
    const body = parse(response.body) as Element;
    if (body.attrs.sid) this.sid = body.attrs.sid;
    if (body.attrs.type === 'terminate') throw new Error(`BOSH session terminated: ${body.attrs.condition}`);
    return body.getChildElements();
  }

  /** Session creation (XEP-0206 §4); resolves with the payloads (stream features). */
  open(to = 'example.com'): Promise<Element[]> {
    return this.post({ rid: this.rid, to, wait: 10, hold: 1, ver: '1.11', 'xml:lang': 'en', 'xmpp:version': '1.0' });
  }

  send(payload = '', attrs: Record<string, string> = {}): Promise<Element[]> {
    return this.post({ rid: ++this.rid, sid: this.sid, ...attrs }, payload);
  }

  async oauthBearer(token: string): Promise<SaslResult> {
    let [answer] = await this.send(oauthBearerAuth(token));
    let errorStatus: string | undefined;
    if (answer?.name === 'challenge') {
      errorStatus = (JSON.parse(Buffer.from(answer.getText(), 'base64').toString()) as { status: string }).status;
      [answer] = await this.send(`<response xmlns='${NS.sasl}'>AQ==</response>`);
    }
    return saslResult(answer!, errorStatus);
  }

  async restartAndBind(to = 'example.com'): Promise<string> {
    await this.send('', { to, 'xml:lang': 'en', 'xmpp:restart': 'true' });
    const [iq] = await this.send(bindRequest('bosh'));
    return iq?.getChild('bind')?.getChildText('jid') ?? '';
  }
}

// ---- live session ends ----

/** Resolves with the stream error (condition, text) that ends a real client's session. */
export function streamErrorOf(client: LoggedInClient): Promise<{ condition: string; text: string }> {
  return new Promise((resolve) => {
    client.xmpp.on('error', (...args: unknown[]) => {
      const error = args[0] as { name?: string; condition?: string; text?: string };
      if (error.name === 'StreamError') resolve({ condition: error.condition ?? '', text: error.text ?? '' });
    });
  });
}

/**
 * A SCRAM-SHA-1 login over direct TLS that is expected to fail: the <failure/> condition and text,
 * or null when it succeeded. (Expected failures are driven raw: @xmpp/client 0.14 sometimes leaves
 * its SASL failure as an unhandled rejection, which vitest counts against the run.)
 */
export async function passwordRefusal(server: TestServer, jid: string, password: string,
  options: { authcid?: string; streamDomain?: string } = {}): Promise<{ condition: string; text: string | undefined } | null> {
  const [local, domain] = jid.split('@') as [string, string];
  const { peer } = await openTls(server, options.streamDomain ?? domain);
  const outcome = await scramAuthenticate(peer, options.authcid ?? local, password);
  peer.destroy();
  if (outcome.name === 'success') return null;
  return { condition: outcome.getChildElements().find((child) => child.name !== 'text')?.name ?? '?', text: outcome.getChildText('text') ?? undefined };
}
