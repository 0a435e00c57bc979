// What the session layer needs from a transport. Transports only frame bytes; everything
// XMPP happens in the session (stream/session.ts).
import type { StreamError, StreamErrorCondition } from '@parley/shared';

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
  /** Queue serialized XML for the peer. */
  write(data: string): void;
  /** Bytes queued but not yet taken by the peer: for back-pressure limits. */
  bufferedBytes(): number;
  /** Upgrade to TLS in place (RFC 6120 §5.4.3.3); `onSecure` runs once the handshake is done. */
  startTls(onSecure: () => void): void;
  /** Close after flushing what was written. */
  close(): void;
  /**
   * Optional: the stream is about to end with this error (the <stream:error/> is written next, then
   * close()). For transports with their own error signalling: BOSH maps it to a terminal binding
   * condition (XEP-0124 §17.2, XEP-0206 §6).
   */
  streamErrorCondition?(condition: StreamErrorCondition): void;
}

/** Set by transports: the session sees bytes (already decoded as UTF-8) and the end of the connection. */
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

const LOOPBACK_V4 = /^(::ffff:)?127\./;

export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || LOOPBACK_V4.test(address);
}
