// iq requests the server itself sends (XEP-0115 §6.3: disco#info to learn a client's features) and
// the replies they wait for. The router hands every iq result or error addressed to a served
// domain here first. A request's id names this node, so that with several nodes a reply arriving on
// another one can be forwarded to the node that waits (the cluster issue).
import { StanzaError, parseStanzaError, type Element } from '@parley/shared';

interface Pending {
  resolve(reply: Element): void;
  reject(error: StanzaError): void;
  timer: NodeJS.Timeout;
  /** The address the request went to: only it may answer (RFC 6120 §8.2.3). */
  to: string;
}

export class IqRequests {
  private readonly pending = new Map<string, Pending>();
  private counter = 0;

  constructor(private readonly node: string) {}

  /** A fresh id for a request from this node. */
  nextId(): string {
    return `${this.node}.${(++this.counter).toString(36)}`;
  }

  /** Waits for the reply to the request with this id sent to `to`; rejects with its error or, after `timeoutMs`, remote-server-timeout. */
  expect(id: string, to: string, timeoutMs: number): Promise<Element> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new StanzaError('remote-server-timeout', 'no answer in time'));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer, to });
    });
  }

  /** A result or error iq: true when a request of this node was waiting for it. */
  settle(iq: Element): boolean {
    const id = iq.attrs.id;
    if (!id) return false;
    const waiting = this.pending.get(id);
    if (!waiting || waiting.to !== iq.attrs.from) return false;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    if (iq.attrs.type === 'result') waiting.resolve(iq);
    else waiting.reject(parseStanzaError(iq) ?? new StanzaError('undefined-condition'));
    return true;
  }

  /** The request was not sent (bounced before it left): it fails now. */
  fail(id: string, error: StanzaError): void {
    const waiting = this.pending.get(id);
    if (!waiting) return;
    this.pending.delete(id);
    clearTimeout(waiting.timer);
    waiting.reject(error);
  }
}
