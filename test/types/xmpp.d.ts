// Minimal typings for the parts of @xmpp/client 0.14 the tests use (the package ships none).
declare module '@xmpp/xml' {
  import type { Element } from 'ltx';
  export type { Element };
  export default function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: unknown[]): Element;
}

declare module '@xmpp/client' {
  import type { Element } from 'ltx';
  export interface Client {
    start(): Promise<{ toString(): string; local: string; domain: string; resource: string }>;
    stop(): Promise<void>;
    send(...stanzas: Element[]): Promise<void>;
    on(event: 'stanza', listener: (stanza: Element) => void): void;
    on(event: 'error' | 'offline' | 'online' | 'status', listener: (...args: unknown[]) => void): void;
    iqCaller: { request(iq: Element, timeout?: number): Promise<Element>; get(payload: Element, to?: string): Promise<Element>; set(payload: Element, to?: string): Promise<Element> };
    reconnect: { stop(): void };
    jid?: { toString(): string };
  }
  export function client(options: Record<string, unknown>): Client;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: unknown[]): Element;
}


declare module '@xmpp/tls/lib/Socket.js' {
  /** The TLS socket of @xmpp/client: direct TLS and the STARTTLS upgrade both open theirs through connect(). */
  export default class Socket {
    connect(options: import('node:tls').ConnectionOptions): void;
  }
}

declare module '@xmpp/websocket/lib/Socket.js' {
  /** The WebSocket of @xmpp/client: connect(url) opens `new WebSocket(url, ['xmpp'])` and attaches it. */
  export default class Socket {
    url: string | null;
    secure: boolean;
    connect(url: string): void;
    _attachSocket(socket: unknown): void;
  }
}
