// XMPP over WebSocket (RFC 7395) on uWebSockets.js: subprotocol 'xmpp', one element per text frame.
import uWS from 'uWebSockets.js';
import { StreamError } from '@parley/shared';
import type { Config } from '../config.ts';
import { isLoopbackAddress } from '../addresses.ts';
import type { HttpRoutes } from '../http/server.ts';
import { remoteAddressOf } from '../http/remote-address.ts';
import type { Connection, ConnectionListener, StreamFactory } from '../stream/connection.ts';
import { ConnectionCounter } from './connection-limits.ts';
import { scheduleFlush, type Flushable } from './write-batching.ts';

export interface WebSocketOptions {
  /** The endpoint (config http.websocketPath). */
  readonly path: string;
  readonly limits: Pick<Config['limits'], 'maxStanzaSize' | 'websocketIdleSeconds' | 'connectionsPerIp'>;
}

interface SocketData {
  remoteAddress: string;
  connection: WebSocketConnection | null;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

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
    this.socket.end(1000);
  }
}

/** The connection being flushed: cork() takes a callback, and one shared function avoids a closure per flush. */
let flushing: WebSocketConnection | null = null;

function sendOutbox(): void {
  flushing?.sendOutbox();
}

/** The RFC 7395 endpoint on the HTTP listeners; each connection gets the stream `createStream` opens. */
export function websocketRoutes(options: WebSocketOptions, createStream: StreamFactory): HttpRoutes {
  return (app, encrypted) => attachWebSocket(app, encrypted, options, createStream);
}

function attachWebSocket(app: uWS.TemplatedApp, encrypted: boolean, options: WebSocketOptions, createStream: StreamFactory): void {
  const { limits } = options;
  // per listener, as before: plain and TLS connections of one address are counted apart
  const counter = new ConnectionCounter(limits.connectionsPerIp);
  app.ws<SocketData>(options.path, {
    compression: uWS.DISABLED,
    // A frame a little over the stanza limit still reaches the parser, which answers policy-violation;
    // bigger frames are refused by uWS itself (close code 1009) without being buffered.
    maxPayloadLength: limits.maxStanzaSize + 16 * 1024,
    idleTimeout: Math.ceil(limits.websocketIdleSeconds / 4) * 4,
    sendPingsAutomatically: true,
    // The session closes a reader past sendBufferBytes itself (with a stream error). uWS's own limit
    // is off (0): one turn's burst may go past any fixed margin, and uWS would drop frames silently.
    maxBackpressure: 0,
    upgrade: (res, req, context) => {
      // RFC 7395 §3.1: the client must ask for the 'xmpp' subprotocol.
      const protocols = req.getHeader('sec-websocket-protocol').split(',').map((p) => p.trim());
      const key = req.getHeader('sec-websocket-key');
      const extensions = req.getHeader('sec-websocket-extensions');
      const remoteAddress = remoteAddressOf(res);
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
      let text: string;
      try {
        // RFC 7395 §3.2: text frames of UTF-8; anything else is not XML we can read.
        if (isBinary) throw new Error('binary frame');
        text = decoder.decode(message);
      } catch {
        text = '\u0000'; // lets the parser report not-well-formed through the normal path
      }
      connection.listener.receive(text);
    },
    close: (ws) => {
      ws.getUserData().connection?.closed();
    },
  });
}
