// What the stream layer needs from a transport. Transports only frame bytes; everything XMPP
// happens in the stream (c2s-stream.ts) and the session behind it.
import type { PeerCertificate as X509PeerCertificate } from 'node:tls';
import type { Element, StreamError, StreamErrorCondition } from '@parley/shared';
import type { ChannelBinding } from '../sasl/index.ts';

/** The certificate a TLS peer presented, and whether it chains to a trusted CA (names are checked by the stream). */
export interface PeerCertificate {
  readonly certificate: X509PeerCertificate;
  readonly authorized: boolean;
  /** Why it did not verify (e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
  readonly error?: string;
}

export type TransportKind = 'tcp' | 'websocket' | 'bosh';

export interface Connection {
  readonly transport: TransportKind;
  readonly remoteAddress: string;
  /** The peer is on 127.0.0.0/8 or ::1. */
  readonly isLoopback: boolean;
  /** The bytes are protected by TLS (STARTTLS done, direct TLS, or wss/https). */
  readonly encrypted: boolean;
  /** STARTTLS is possible on this connection now (raw TCP, not yet encrypted). */
  readonly canStartTls: boolean;
  /** TLS server name the client asked for (SNI), if any. */
  readonly serverName?: string;
  /**
   * What a SASL exchange can bind to (RFC 5056): the TLS connection's binding data, on transports
   * that terminate TLS themselves (TCP); absent where TLS ends elsewhere (uWebSockets.js, a proxy).
   */
  readonly channelBinding?: ChannelBinding | null;
  /** Queue serialized XML for the peer. */
  write(data: string): void;
  /** Bytes queued but not yet taken by the peer: for back-pressure limits. */
  bufferedBytes(): number;
  /** Upgrade to TLS in place (RFC 6120 §5.4.3.3); `onSecure` runs once the handshake is done. */
  startTls(onSecure: () => void): void;
  /**
   * Optional: stop reading from the peer until resumeInput() (the storage is behind, see
   * storage/group-commit.ts `congested`); the peer's own sending then blocks (TCP flow
   * control). Transports without it (uWebSockets.js has no receive pause) keep delivering input,
   * which the stream holds in its backlog.
   */
  pauseInput?(): void;
  resumeInput?(): void;
  /** Close after flushing what was written. */
  close(): void;
  /** Over TLS: the certificate the peer presented (s2s asks for one; clients are not asked). */
  peerCertificate?(): PeerCertificate | null;
  /**
   * Optional: the stream is about to end with this error (the <stream:error/> is written next, then
   * close()). For transports with their own error signalling: BOSH maps it to a terminal binding
   * condition (XEP-0124 §17.2, XEP-0206 §6).
   */
  streamErrorCondition?(condition: StreamErrorCondition): void;
}

/** Set by transports: the stream sees bytes (already decoded as UTF-8) and the end of the connection. */
export interface ConnectionListener {
  receive(text: string): void;
  /**
   * Input the transport refused before it became text: bytes that are not UTF-8 (RFC 6120 §11.6),
   * a WebSocket frame over the size limit. The stream ends with `error`.
   */
  inputRejected(error: StreamError): void;
  /** The transport is gone (peer closed, network error); `error` when it broke. */
  transportClosed(error?: Error): void;
  /** The transport flushed its queue after being congested (back-pressure relief). */
  drained?(): void;
}

/** A stream a listener opened on a new connection; refused at once with a stream error when over a limit. */
export interface AcceptedStream extends ConnectionListener {
  streamError(error: StreamError): void;
}

/** Opens the stream for a new connection (client streams now; server-to-server and component streams later). */
export type StreamFactory = (connection: Connection) => AcceptedStream;

/** A stream over a transport that frames elements itself (BOSH, XEP-0124/0206): no bytes to parse. */
export interface ElementStream extends AcceptedStream {
  /** A stream (re)opened out of band: a session request or xmpp:restart (attributes to, version, xml:lang). */
  openExternalStream(attrs: Record<string, string>): void;
  /** A complete top-level element taken from the transport's own framing. */
  receiveElement(element: Element): void;
  /** The peer ended the stream through the transport's own framing (type='terminate'). */
  receiveStreamEnd(): void;
}

export type ElementStreamFactory = (connection: Connection) => ElementStream;
