// iq bookkeeping for the client (RFC 6120 §8.2.3): our requests waiting for their result or
// error, and the handlers that answer the server's get/set by payload namespace.
import { StanzaError, errorReply, parseStanzaError, xml, type Element } from '@parley/shared';
import { ConnectionError } from './errors.ts';
import { randomId } from './ids.ts';

export type IqHandler = (iq: Element) => Element | null | Promise<Element | null>;

export const IQ_TIMEOUT_MS = 20_000;

/** The error reply behind a rejected iq: its application-specific condition (RFC 6120 §8.3.2) is read from it. */
const errorReplies = new WeakMap<Error, Element>();

export function errorReplyOf(error: unknown): Element | undefined {
  return error instanceof Error ? errorReplies.get(error) : undefined;
}

export class IqRequests {
  private readonly pending = new Map<string, { resolve: (iq: Element) => void; reject: (error: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly handlers = new Map<string, IqHandler>();

  /** `send` answers false when the stanza could not go out (not online). */
  constructor(private readonly send: (stanza: Element) => boolean) {}

  request(request: Element, timeoutMs = IQ_TIMEOUT_MS): Promise<Element> {
    const id = (request.attrs.id ??= randomId(8));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StanzaError('remote-server-timeout', 'no answer'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.send(request)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new ConnectionError('not connected'));
      }
    });
  }

  handle(type: 'get' | 'set', namespace: string, handler: IqHandler): void {
    this.handlers.set(`${type} ${namespace}`, handler);
  }

  receive(iq: Element): void {
    const type = iq.attrs.type;
    if (type === 'result' || type === 'error') {
      const waiter = this.pending.get(iq.attrs.id ?? '');
      if (!waiter) return;
      this.pending.delete(iq.attrs.id!);
      clearTimeout(waiter.timer);
      if (type === 'result') waiter.resolve(iq);
      else {
        const error = parseStanzaError(iq) ?? new StanzaError('undefined-condition');
        errorReplies.set(error, iq);
        waiter.reject(error);
      }
      return;
    }
    if (type !== 'get' && type !== 'set') return;
    const payload = iq.children.find((node): node is Element => typeof node !== 'string');
    const handler = payload && this.handlers.get(`${type} ${payload.getNS()}`);
    // RFC 6120 §8.4: an iq nobody handles gets service-unavailable.
    if (!handler) {
      this.send(errorReply(iq, new StanzaError('service-unavailable')));
      return;
    }
    Promise.resolve().then(() => handler(iq)).then(
      (result) => this.send(xml('iq', { type: 'result', id: iq.attrs.id, to: iq.attrs.from }, result)),
      (error) => this.send(errorReply(iq, error instanceof StanzaError ? error : new StanzaError('internal-server-error'))),
    );
  }

  /** The connection is gone: no answer will come to what waits. */
  rejectAll(error: Error): void {
    for (const waiter of this.pending.values()) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.pending.clear();
  }
}
