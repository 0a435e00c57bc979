// Outgoing TCP connections (s2s: RFC 6120 §3.2 connects to a peer's SRV target): plain with STARTTLS
// later (the client side of §5.4.3.3), or direct TLS (XEP-0368, ALPN xmpp-server). Bytes only, as
// tcp.ts: strict UTF-8 across chunks (§11.6), writes corked per turn, the peer's certificate kept.
import net from 'node:net';
import tls from 'node:tls';
import { StreamError } from '@parley/shared';
import { isLoopbackAddress } from '../net/addresses.ts';
import type { Connection, ConnectionListener, PeerCertificate } from '../stream/connection.ts';
import { peerCertificateOf } from './tcp.ts';
import { scheduleFlush, type Flushable } from './write-batching.ts';
import { InvalidUtf8Error, Utf8StreamDecoder } from './utf8-stream.ts';

/** How this side identifies itself and checks the peer when TLS starts. */
export interface ClientTlsOptions {
  /** The peer's domain: sent as SNI (RFC 6120 §13.7.2.1), checked against its certificate by the stream. */
  readonly servername: string;
  /**
   * Our certificate for the domain we connect from (peers verify it for SASL EXTERNAL, XEP-0178) and
   * the CAs trusted for the peer's: one context per domain, shared by its connections.
   */
  readonly secureContext: tls.SecureContext;
  readonly alpnProtocols?: string[];
}

export interface OutgoingTarget {
  readonly address: string;
  readonly port: number;
  /** XEP-0368: TLS at once instead of STARTTLS. */
  readonly directTls: boolean;
  /** Connect from this local address (the server's bind address, when it names one). */
  readonly localAddress?: string;
}

export class OutgoingTcpConnection implements Connection, Flushable {
  readonly transport = 'tcp' as const;
  readonly remoteAddress: string;
  readonly isLoopback: boolean;
  listener: ConnectionListener | null = null;
  private corked = false;
  private backlogBeforeTurn = 0;
  private closed = false;
  private readonly decoder = new Utf8StreamDecoder();

  private constructor(private socket: net.Socket, private readonly tlsOptions: ClientTlsOptions, public encrypted: boolean) {
    this.remoteAddress = socket.remoteAddress ?? '';
    this.isLoopback = isLoopbackAddress(this.remoteAddress);
    this.attach(socket);
  }

  /** Connects (and, for direct TLS, completes the handshake) within timeoutMs. */
  static connect(target: OutgoingTarget, tlsOptions: ClientTlsOptions, timeoutMs: number): Promise<OutgoingTcpConnection> {
    return new Promise((resolve, reject) => {
      const raw = net.connect({ host: target.address, port: target.port, localAddress: target.localAddress });
      const socket = target.directTls ? tls.connect({ socket: raw, ...secureOptions(tlsOptions) }) : raw;
      if (socket !== raw) raw.once('error', (error) => socket.destroy(error));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no connection to ${target.address}:${target.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      const failed = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      socket.once('error', failed);
      socket.once(target.directTls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', failed);
        socket.setNoDelay(true);
        resolve(new OutgoingTcpConnection(socket, tlsOptions, target.directTls));
      });
    });
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

  bufferedBytes(): number {
    return this.corked ? this.backlogBeforeTurn : this.socket.writableLength;
  }

  /** The client side of STARTTLS (RFC 6120 §5.4.3.3): after <proceed/>, the handshake on the same socket. */
  startTls(onSecure: () => void): void {
    const raw = this.socket;
    for (const event of ['data', 'end', 'close', 'error']) raw.removeAllListeners(event);
    if (this.corked) this.flush();
    const secure = tls.connect({ socket: raw, ...secureOptions(this.tlsOptions) });
    this.socket = secure;
    this.decoder.reset();
    secure.once('secureConnect', () => {
      this.encrypted = true;
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
    setTimeout(() => this.socket.destroy(), 5000).unref();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

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
      if (error.validPrefix !== '') listener.receive(error.validPrefix);
      this.listener?.inputRejected(new StreamError('not-well-formed', 'the stream is not valid UTF-8 (RFC 6120 §11.6)'));
      return;
    }
    if (text !== '') listener.receive(text);
  }

  ended(error?: Error): void {
    const listener = this.listener;
    this.listener = null;
    this.closed = true;
    if (!this.socket.destroyed) this.socket.destroy();
    listener?.transportClosed(error);
  }
}

/** The peer's certificate is checked by the stream (names per RFC 6125, policy per domain), never refused here. */
function secureOptions(options: ClientTlsOptions): tls.ConnectionOptions {
  return { servername: options.servername, secureContext: options.secureContext, rejectUnauthorized: false, ALPNProtocols: options.alpnProtocols };
}

const CONNECTION = Symbol('parley.outgoing-connection');
type SocketWithConnection = net.Socket & { [CONNECTION]?: OutgoingTcpConnection };

function onSocketData(this: SocketWithConnection, bytes: Buffer): void {
  this[CONNECTION]?.received(bytes);
}

function onSocketEnded(this: SocketWithConnection, error?: Error | boolean): void {
  this[CONNECTION]?.ended(error instanceof Error ? error : undefined);
}
