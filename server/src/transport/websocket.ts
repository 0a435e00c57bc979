// XMPP over WebSocket (RFC 7395) on uWebSockets.js: subprotocol 'xmpp', one element per text frame.
import uWS from 'uWebSockets.js';
import { StreamError } from '@parley/shared';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { isLoopbackAddress } from '../net/addresses.ts';
import type { HttpRoutes } from '../http/server.ts';
import { remoteAddressOf } from '../http/remote-address.ts';
import type { Connection, ConnectionListener, StreamFactory } from '../stream/connection.ts';
import { ConnectionCounter } from './connection-limits.ts';
import type { OriginPolicy } from './origins.ts';
import { scheduleFlush, type Flushable } from './write-batching.ts';

export interface WebSocketOptions {
  /** The endpoint (config http.websocketPath). */
  readonly path: string;
  readonly limits: Pick<Config['limits'], 'maxStanzaSize' | 'websocketIdleSeconds' | 'connectionsPerIp'>;
  /** Which pages may open a socket (RFC 6455 §10.2). */
  readonly origins: OriginPolicy;
  readonly log: Logger;
}

/** RFC 6455 §7.4.1 close codes. */
const CLOSE_NORMAL = 1000;
const CLOSE_UNSUPPORTED_DATA = 1003;
const CLOSE_TOO_BIG = 1009;

/**
 * Largest frame uWS hands over (its maxPayloadLength), in bytes. A stanza of maxStanzaSize characters
 * may take three bytes per character, and a frame up to this size over the limit still gets its
 * stream error and close code 1009. Bigger frames are cut by uWS itself, which closes the socket
 * without a close frame (as it does for a text frame that is not UTF-8): it has no hook for that.
 */
export function maxFrameBytes(maxStanzaSize: number): number {
  return Math.max(4 * maxStanzaSize, 1024 * 1024);
}

interface SocketData {
  remoteAddress: string;
  connection: WebSocketConnection | null;
}

const decoder = new TextDecoder('utf-8');

class WebSocketConnection implements Connection, Flushable {
  readonly transport = 'websocket' as const;
  readonly canStartTls = false;
  readonly isLoopback: boolean;
  listener: ConnectionListener | null = null;
  /** Holds a slot of the per-IP connection limit, released when the socket closes. */
  counted: ConnectionCounter | null = null;
  private outbox: string[] = [];
  private open = true;
  private closing = false;
  /** The close code sent after the stream's end (RFC 7395 §3.6). */
  private closeCode = CLOSE_NORMAL;

  constructor(private readonly socket: uWS.WebSocket<SocketData>, readonly remoteAddress: string, readonly encrypted: boolean) {
    this.isLoopback = isLoopbackAddress(remoteAddress);
  }

  write(data: string): void {
    if (!this.open) return;
    if (this.outbox.length === 0) scheduleFlush(this);
    this.outbox.push(data);
  }

  /** One text frame per element (RFC 7395 §3.3.3), all sent under one cork. */
  flush(): void {
    if (this.outbox.length === 0 || !this.open) return;
    flushing = this;
    this.socket.cork(sendOutbox);
    flushing = null;
    if (this.closing) this.end();
  }

  /** Runs inside uWS's cork (sendOutbox): one send per frame. */
  sendOutbox(): void {
    const outbox = this.outbox;
    this.outbox = [];
    for (let i = 0; i < outbox.length; i++) this.socket.send(outbox[i]!, false, false);
  }

  /**
   * What the peer left unread from earlier turns. This turn's frames (the outbox) do not count: they
   * were not offered to the peer yet, and a burst (an offline queue at login) is not a slow reader.
   */
  bufferedBytes(): number {
    return this.open ? this.socket.getBufferedAmount() : 0;
  }

  startTls(): void {
    throw new Error('WebSocket connections are secured by the HTTP layer');
  }

  close(): void {
    if (!this.open || this.closing) return;
    this.closing = true;
    if (this.outbox.length === 0) this.end();
  }

  /** Refuse a frame before it reaches the parser: `error`, <close/>, then the WebSocket close with `code`. */
  reject(error: StreamError, code: number): void {
    this.closeCode = code;
    this.listener?.inputRejected(error);
  }

  /** The socket is gone (closed by either side). */
  closed(): void {
    this.open = false;
    this.outbox = [];
    const listener = this.listener;
    this.listener = null;
    this.counted?.release(this.remoteAddress);
    this.counted = null;
    listener?.transportClosed();
  }

  private end(): void {
    if (!this.open) return;
    this.open = false;
    this.socket.end(this.closeCode);
  }
}

/** The connection being flushed: cork() takes a callback, and one shared function avoids a closure per flush. */
let flushing: WebSocketConnection | null = null;

function sendOutbox(): void {
  flushing?.sendOutbox();
}

/** The RFC 7395 endpoint on the HTTP listeners; each connection gets the stream `createStream` opens. */
export function websocketRoutes(options: WebSocketOptions, createStream: StreamFactory): HttpRoutes {
  return (encrypted) => webSocketRoute(options, createStream, encrypted);
}

/** The WebSocket endpoint of one listener; the returned function attaches it to an app (or an SNI domain of it). */
function webSocketRoute(options: WebSocketOptions, createStream: StreamFactory, encrypted: boolean) {
  const { limits, origins, log } = options;
  // per listener: plain and TLS connections of one address are counted apart
  const counter = new ConnectionCounter(limits.connectionsPerIp);
  const maxStanzaSize = limits.maxStanzaSize;
  const behavior: uWS.WebSocketBehavior<SocketData> = {
    compression: uWS.DISABLED,
    maxPayloadLength: maxFrameBytes(maxStanzaSize),
    idleTimeout: Math.ceil(limits.websocketIdleSeconds / 4) * 4,
    sendPingsAutomatically: true,
    // The session closes a reader past sendBufferBytes itself (with a stream error). uWS's own limit
    // is off (0): one turn's burst may go past any fixed margin, and uWS would drop frames silently.
    maxBackpressure: 0,
    upgrade: (res, req, context) => {
      const protocols = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim());
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const origin = req.getHeader('origin');
      const remoteAddress = remoteAddressOf(res);
      // RFC 6455 §10.2: a browser names the page that opens the socket; pages elsewhere are refused
      if (origins.decide(origin) === 'refused') {
        res.writeStatus('403 Forbidden').writeHeader('Content-Type', 'text/plain').end('origin not allowed\n');
        return;
      }
      // RFC 7395 §3.1: the client must ask for the 'xmpp' subprotocol.
      if (!protocols.includes('xmpp')) {
        res.writeStatus('400 Bad Request').writeHeader('Content-Type', 'text/plain').end('the xmpp WebSocket subprotocol is required\n');
        return;
      }
      res.upgrade<SocketData>({ remoteAddress, connection: null }, key, 'xmpp', extensions, context);
    },
    open: (ws) => {
      const data = ws.getUserData();
      const connection = new WebSocketConnection(ws, data.remoteAddress, encrypted);
      data.connection = connection;
      const allowed = counter.acquire(data.remoteAddress);
      if (allowed) connection.counted = counter;
      const stream = createStream(connection);
      connection.listener = stream;
      if (!allowed) stream.streamError(new StreamError('policy-violation', 'too many connections from your address'));
    },
    message: (ws, message, isBinary) => {
      const connection = ws.getUserData().connection;
      if (!connection?.listener) return;
      // RFC 7395 §3.2: text frames of UTF-8 (uWS has checked the UTF-8 of text frames)
      if (isBinary) return connection.reject(new StreamError('not-well-formed', 'binary frames are not XMPP (RFC 7395 §3.2)'), CLOSE_UNSUPPORTED_DATA);
      // a character takes at most three bytes, so a frame over 3 × the limit needs no decoding to be refused
      const text = message.byteLength > 3 * maxStanzaSize ? null : decoder.decode(message);
      if (text === null || text.length > maxStanzaSize) {
        return connection.reject(new StreamError('policy-violation', `the frame is larger than the stanza limit (${maxStanzaSize} characters)`), CLOSE_TOO_BIG);
      }
      connection.listener.receive(text);
    },
    close: (ws, code, message) => {
      // 1006: uWS cut the connection itself (a frame too big to read, a text frame that is not UTF-8, a timeout)
      if (code === 1006) log.debug({ reason: Buffer.from(message).toString() }, 'WebSocket closed without a close frame');
      ws.getUserData().connection?.closed();
    },
  };
  return (app: uWS.TemplatedApp) => {
    app.ws<SocketData>(options.path, behavior);
  };
}
