// Raw TCP listeners (RFC 6120): a plain port with STARTTLS and a direct-TLS port (XEP-0368, ALPN),
// for whatever stream kind the factory opens (c2s on 5222/5223 now; s2s on 5269 can reuse it).
// Frames nothing: bytes in and out, decoded as strict UTF-8 across chunk boundaries (RFC 6120 §11.6).
import net from 'node:net';
import tls from 'node:tls';
import { StreamError } from '@parley/shared';
import { tlsChannelBinding, type ChannelBinding } from '../sasl/index.ts';
import type { Logger } from '../logger.ts';
import type { CertificateStore } from '../tls/certificates.ts';
import { isLoopbackAddress } from '../net/addresses.ts';
import { fromNodeError } from '../net/listen-error.ts';
import type { Connection, ConnectionListener, PeerCertificate, StreamFactory } from '../stream/connection.ts';
import { scheduleFlush, type Flushable } from './write-batching.ts';
import type { ConnectionCounter } from './connection-limits.ts';
import { InvalidUtf8Error, Utf8StreamDecoder } from './utf8-stream.ts';
import { normalizeDomain as certificateName } from '../tls/certificates.ts';

/** What a listener needs of the certificate store (s2s passes one whose contexts also trust peers' CAs: s2s/tls-contexts.ts). */
export type TlsContexts = Pick<CertificateStore, 'sniCallback' | 'contextFor' | 'pemFor' | 'onChange'>;

/** Where TLS contexts come from: the certificate store, for the name a client asks (SNI) or the default one. */
export interface TlsSource {
  readonly certificates: TlsContexts;
  /**
   * Ask the peer for its certificate without requiring one (s2s: RFC 6120 §13.7.2, XEP-0178); its
   * verification against these CAs is then read with Connection.peerCertificate().
   */
  readonly requestPeerCertificate?: { readonly ca: string[] | undefined };
  /** The name whose certificate is used when the client names none (the first served domain). */
  defaultName(): string;
}

export interface TcpListenerOptions {
  readonly bind: string;
  /** Plain port (STARTTLS); 0 picks a free one. */
  readonly port: number;
  /** Direct TLS port; 0 picks a free one, -1 turns it off. */
  readonly tlsPort: number;
  /** ALPN protocols of the direct-TLS port (XEP-0368: xmpp-client; xmpp-server for s2s). */
  readonly alpnProtocols: string[];
  readonly tls: TlsSource;
  /** The per-IP connection limit, shared by both ports. */
  readonly perAddress: ConnectionCounter;
  /** The configuration keys of the two ports, named when one cannot be bound (net/listen-error.ts). */
  readonly settings: { readonly port: string; readonly tlsPort: string };
  readonly log: Logger;
}

class TcpConnection implements Connection, Flushable {
  readonly transport = 'tcp' as const;
  readonly remoteAddress: string;
  readonly isLoopback: boolean;
  encrypted: boolean;
  serverName: string | undefined;
  listener: ConnectionListener | null = null;
  /** Holds a slot of the per-IP connection limit, released when the socket ends. */
  counted: ConnectionCounter | null = null;
  /** The listener's set of open connections, for closing what is left at shutdown. */
  openSet: Set<TcpConnection> | null = null;
  private corked = false;
  /** socket.writableLength when this turn's writes began: what the peer left unread. */
  private backlogBeforeTurn = 0;
  private closed = false;
  private readonly decoder = new Utf8StreamDecoder();

  constructor(private socket: net.Socket, private readonly tlsSource: TlsSource, encrypted: boolean, private readonly upgrader: StartTlsUpgrader | null) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.isLoopback = isLoopbackAddress(this.remoteAddress);
    this.encrypted = encrypted;
    if (socket instanceof tls.TLSSocket) this.serverName = socket.servername || undefined;
    this.attach(socket);
  }

  /**
   * tls-exporter and tls-server-end-point of this connection, once it is encrypted
   * (sasl/channel-binding.ts). Built when asked (during negotiation only), not kept: idle
   * connections stay small.
   */
  get channelBinding(): ChannelBinding | null {
    if (!this.encrypted || !(this.socket instanceof tls.TLSSocket)) return null;
    return tlsChannelBinding(this.socket);
  }

  get canStartTls(): boolean {
    return !this.encrypted && !this.closed;
  }

  write(data: string): void {
    if (this.closed) return;
    if (!this.corked) {
      this.corked = true;
      this.backlogBeforeTurn = this.socket.writableLength;
      this.socket.cork();
      scheduleFlush(this);
    }
    this.socket.write(data);
  }

  flush(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /** What the peer left unread; this turn's corked writes do not count (a burst is not a slow reader). */
  bufferedBytes(): number {
    return this.corked ? this.backlogBeforeTurn : this.socket.writableLength;
  }

  pauseInput(): void {
    this.socket.pause();
  }

  resumeInput(): void {
    if (!this.closed) this.socket.resume();
  }

  startTls(onSecure: () => void): void {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    if (this.corked) this.flush();
    this.decoder.reset();
    if (this.upgrader) {
      // the peer's certificate is verified by a tls.Server (a bare TLSSocket never sets `authorized`)
      this.upgrader.upgrade(raw, (secure) => {
        this.socket = secure;
        this.encrypted = true;
        this.serverName = secure.servername || undefined;
        this.attach(secure);
        onSecure();
      }, (error) => this.ended(error));
      return;
    }
    const { certificates } = this.tlsSource;
    const defaultName = this.tlsSource.defaultName();
    const secure = new tls.TLSSocket(raw, {
      isServer: true,
      SNICallback: certificates.sniCallback(defaultName),
      secureContext: certificates.contextFor(defaultName),
    });
    this.socket = secure;
    secure.once('secure', () => {
      this.encrypted = true;
      this.serverName = secure.servername || undefined;
      onSecure();
    });
    this.attach(secure);
  }

  peerCertificate(): PeerCertificate | null {
    return peerCertificateOf(this.socket);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.corked) this.flush();
    this.socket.end();
    // a peer that never closes its side must not keep the socket forever
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Listeners are shared functions (no closures per connection); they find us through the socket. */
  private attach(socket: net.Socket): void {
    (socket as SocketWithConnection)[CONNECTION] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketEnded);
    socket.on('close', onSocketEnded);
    socket.on('end', onSocketEnded);
  }

  received(bytes: Buffer): void {
    const listener = this.listener;
    if (!listener) return;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch (error) {
      if (!(error instanceof InvalidUtf8Error)) throw error;
      // what came before the bad bytes is read first: stanzas already complete still count
      if (error.validPrefix !== '') listener.receive(error.validPrefix);
      this.listener?.inputRejected(new StreamError('not-well-formed', 'the stream is not valid UTF-8 (RFC 6120 §11.6)'));
      return;
    }
    if (text !== '') listener.receive(text);
  }

  ended(error?: Error): void {
    const listener = this.listener;
    this.listener = null;
    this.counted?.release(this.remoteAddress);
    this.counted = null;
    this.openSet?.delete(this);
    this.openSet = null;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
    listener?.transportClosed(error);
  }
}

const CONNECTION = Symbol('parley.connection');
type SocketWithConnection = net.Socket & { [CONNECTION]?: TcpConnection };

function onSocketData(this: SocketWithConnection, bytes: Buffer): void {
  this[CONNECTION]?.received(bytes);
}

function onSocketEnded(this: SocketWithConnection, error?: Error | boolean): void {
  this[CONNECTION]?.ended(error instanceof Error ? error : undefined);
}

export interface TcpListeners {
  port: number;
  tlsPort: number | null;
  close(): Promise<void>;
}

/** Start the plain (STARTTLS) and direct-TLS listeners; each connection gets the stream `createStream` opens. */
export async function listenTcp(options: TcpListenerOptions, createStream: StreamFactory): Promise<TcpListeners> {
  const counter = options.perAddress;
  const upgrader = options.tls.requestPeerCertificate ? new StartTlsUpgrader(options.tls, options.log) : null;
  const open = new Set<TcpConnection>();
  const accept = (socket: net.Socket, encrypted: boolean) => {
    socket.setNoDelay(true);
    const address = socket.remoteAddress ?? '';
    const connection = new TcpConnection(socket, options.tls, encrypted, upgrader);
    open.add(connection);
    connection.openSet = open;
    const allowed = counter.acquire(address);
    if (allowed) connection.counted = counter;
    const stream = createStream(connection);
    connection.listener = stream;
    if (!allowed) stream.streamError(new StreamError('policy-violation', 'too many connections from your address'));
  };
  const plain = net.createServer((socket) => accept(socket, false));
  const { certificates } = options.tls;
  const defaultName = options.tls.defaultName();
  const direct = options.tlsPort >= 0
    ? tls.createServer({
      SNICallback: certificates.sniCallback(defaultName),
      ...certificates.pemFor(defaultName),
      ALPNProtocols: options.alpnProtocols,
      ...(options.tls.requestPeerCertificate ? { requestCert: true, rejectUnauthorized: false, ca: options.tls.requestPeerCertificate.ca } : {}),
    }, (socket) => accept(socket, true))
    : null;
  direct?.on('tlsClientError', (error) => options.log.debug({ err: error.message }, 'direct TLS handshake failed'));
  // a replaced certificate (tls/certificates.ts): SNI asks the store per connection; clients without
  // SNI get the server's default context, replaced here for the default name
  if (direct) {
    certificates.onChange((domain) => {
      if (domain === certificateName(options.tls.defaultName())) direct.setSecureContext({ ...certificates.pemFor(domain) });
    });
  }
  const port = await listen(plain, options.port, options.bind, options.settings.port);
  let tlsPort: number | null = null;
  try {
    if (direct) tlsPort = await listen(direct, options.tlsPort, options.bind, options.settings.tlsPort);
  } catch (error) {
    await closeServer(plain);
    throw error;
  }
  return {
    port,
    tlsPort,
    close: async () => {
      const closing = Promise.all([closeServer(plain), direct ? closeServer(direct) : Promise.resolve()]);
      // streams were told system-shutdown; give peers a moment to close, then cut what is left
      // (a timer that is awaited must keep the process alive: unref'd, an idle server exited here
      // on SIGTERM before the storage was flushed)
      await new Promise((resolve) => setTimeout(resolve, 100));
      for (const connection of open) connection.destroy();
      await closing;
    },
  };
}

/**
 * STARTTLS for listeners that ask for the peer's certificate: the plain socket is handed to a
 * tls.Server that never listens (net.Server's documented 'connection' event), so that OpenSSL's
 * verification result reaches `authorized` / `authorizationError` as on the direct-TLS port.
 */
class StartTlsUpgrader {
  private readonly server: tls.Server;
  private readonly waiting = new Map<string, { secured: (socket: tls.TLSSocket) => void; failed: (error: Error) => void }>();

  constructor(source: TlsSource, log: Logger) {
    const defaultName = source.defaultName();
    this.server = tls.createServer({
      SNICallback: source.certificates.sniCallback(defaultName), ...source.certificates.pemFor(defaultName),
      requestCert: true, rejectUnauthorized: false, ca: source.requestPeerCertificate!.ca,
    });
    this.server.on('secureConnection', (socket) => {
      const key = socketKey(socket);
      const waiter = this.waiting.get(key);
      this.waiting.delete(key);
      if (waiter) waiter.secured(socket);
      else socket.destroy();
    });
    this.server.on('tlsClientError', (error, socket) => {
      log.debug({ err: error.message }, 'STARTTLS handshake failed');
      const key = socketKey(socket);
      const waiter = this.waiting.get(key);
      this.waiting.delete(key);
      socket.destroy();
      waiter?.failed(error);
    });
  }

  upgrade(raw: net.Socket, secured: (socket: tls.TLSSocket) => void, failed: (error: Error) => void): void {
    this.waiting.set(socketKey(raw), { secured, failed });
    this.server.emit('connection', raw);
  }
}

/** A connection's two ends, the same on the plain socket and the TLS socket over it. */
function socketKey(socket: net.Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}|${socket.localAddress}|${socket.localPort}`;
}

/** The peer's certificate on a TLS socket and whether it verified (null: plain TCP, or none sent). */
export function peerCertificateOf(socket: net.Socket): PeerCertificate | null {
  if (!(socket instanceof tls.TLSSocket)) return null;
  const certificate = socket.getPeerCertificate();
  if (!certificate || Object.keys(certificate).length === 0) return null;
  return { certificate, authorized: socket.authorized, error: socket.authorizationError ? String(socket.authorizationError) : undefined };
}

/** `configKey` names the setting in the error a taken port gives (listen-error.ts). */
function listen(server: net.Server, port: number, host: string, configKey: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => reject(fromNodeError(error, host, port, configKey));
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as net.AddressInfo).port);
    });
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
