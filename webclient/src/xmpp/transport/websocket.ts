// XMPP over WebSocket, RFC 7395: subprotocol 'xmpp', one element per text frame, <open/>/<close/> framing.
import { NS, StreamParser, serialize, xml, type Element } from '@parley/shared';
import { ConnectionError } from '../errors.ts';
import { isSecureUrl, type Transport, type TransportHandler } from './transport.ts';

/** How long the server may take to answer our <open/> before we call the endpoint unreachable. */
const OPEN_TIMEOUT_MS = 10_000;
/** How long we wait for the server to close the socket after our <close/> (RFC 7395 §3.6). */
const CLOSE_TIMEOUT_MS = 2_000;

export class WebSocketTransport implements Transport {
  readonly kind = 'websocket' as const;
  readonly secure: boolean;
  private socket: WebSocket | null = null;
  private domain = '';
  private closing = false;
  private finished = false;
  private readonly parser: StreamParser;
  /** Set while open() waits for the server's first <open/>. */
  private onOpened: (() => void) | null = null;

  constructor(private readonly url: string, private readonly handler: TransportHandler) {
    this.secure = isSecureUrl(url);
    this.parser = new StreamParser({
      onStreamStart: () => {},
      onStreamEnd: () => {},
      onElement: (element) => this.receive(element),
      onError: (condition, text) => this.finish(new ConnectionError(`server sent bad XML (${condition}: ${text})`)),
    }, { mode: 'framed', maxElementSize: 1024 * 1024 });
  }

  open(domain: string): Promise<void> {
    this.domain = domain;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.finished = true;
        this.socket?.close();
        reject(new ConnectionError(message, true));
      };
      const timer = setTimeout(() => fail('WebSocket: no answer from the server'), OPEN_TIMEOUT_MS);
      this.onOpened = () => {
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      let socket: WebSocket;
      try {
        socket = new WebSocket(new URL(this.url, location.href).href.replace(/^http/, 'ws'), 'xmpp');
      } catch (error) {
        fail(`WebSocket: ${(error as Error).message}`);
        return;
      }
      this.socket = socket;
      socket.onopen = () => {
        // RFC 7395 §3.1: a server that did not agree to 'xmpp' does not speak our framing.
        if (socket.protocol !== 'xmpp') return fail('WebSocket: the server did not accept the xmpp subprotocol');
        this.sendOpen();
      };
      socket.onmessage = (event) => {
        if (typeof event.data !== 'string') return this.finish(new ConnectionError('WebSocket: binary frame'));
        this.parser.writeFrame(event.data);
      };
      socket.onerror = () => fail('WebSocket: cannot connect');
      socket.onclose = (event) => {
        if (!settled) return fail(`WebSocket: closed before the stream opened (${event.code})`);
        this.finish(this.closing ? undefined : new ConnectionError(`WebSocket closed (${event.code})`));
      };
    });
  }

  restart(): void {
    this.sendOpen();
  }

  send(element: Element): void {
    if (this.finished || this.socket?.readyState !== WebSocket.OPEN) return;
    this.socket.send(serialize(element));
  }

  close(): void {
    if (this.finished || this.closing) return;
    this.closing = true;
    this.send(xml('close', { xmlns: NS.framing }));
    setTimeout(() => this.finish(), CLOSE_TIMEOUT_MS);
  }

  private sendOpen(): void {
    this.socket?.send(serialize(xml('open', { xmlns: NS.framing, to: this.domain, version: '1.0', 'xml:lang': 'en' })));
  }

  private receive(element: Element): void {
    if (element.name === 'open' && element.attrs.xmlns === NS.framing) {
      // The first answers open(); later ones answer a stream restart.
      const opened = this.onOpened;
      this.onOpened = null;
      opened?.();
      return;
    }
    if (element.name === 'close' && element.attrs.xmlns === NS.framing) {
      // RFC 7395 §3.6: answer the server's <close/> with ours, the server then closes the socket.
      if (!this.closing) {
        this.closing = true;
        this.send(xml('close', { xmlns: NS.framing }));
      }
      return;
    }
    this.handler.element(element);
  }

  private finish(error?: Error): void {
    if (this.finished) return;
    this.finished = true;
    const socket = this.socket;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close();
    this.handler.closed(error);
  }
}
