// What the client needs from a way of carrying an XMPP stream (RFC 7395 WebSocket, XEP-0206 BOSH).
import type { Element } from '@parley/shared';

export interface TransportHandler {
  /** A top-level element of the stream (stanza or nonza), in order. */
  element(element: Element): void;
  /** The transport is gone; `error` is set when it did not close cleanly. */
  closed(error?: Error): void;
}

export interface Transport {
  readonly kind: 'websocket' | 'bosh';
  /** The stream is encrypted (wss:/https:): PLAIN is allowed (RFC 6120 §13.8). */
  readonly secure: boolean;
  /**
   * Open the stream to `domain`. Resolves once the server has answered the stream header;
   * rejects with a ConnectionError whose `beforeStreamOpened` is true when the server could not be reached.
   */
  open(domain: string): Promise<void>;
  /** Stream restart after SASL success (RFC 6120 §6.4.6). */
  restart(): void;
  send(element: Element): void;
  /** Close the stream politely; `closed` follows. */
  close(): void;
}

export type TransportFactory = (handler: TransportHandler) => Transport;

/** Whether an endpoint address is encrypted, resolving relative addresses against the page. */
export function isSecureUrl(url: string): boolean {
  const base = typeof location === 'undefined' ? 'http://localhost/' : location.href;
  const protocol = new URL(url, base).protocol;
  return protocol === 'https:' || protocol === 'wss:';
}
