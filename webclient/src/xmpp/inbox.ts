// Elements received while the stream is negotiated, read one at a time by the negotiation.
import type { Element } from '@parley/shared';
import { ConnectionError } from './errors.ts';

export class Inbox {
  private readonly items: Element[] = [];
  private waiter: { resolve: (element: Element) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  /** Stanzas that came during negotiation, for the session once it is online. */
  private readonly kept: Element[] = [];

  push(element: Element): void {
    if (this.waiter) {
      const waiter = this.waiter;
      this.waiter = null;
      waiter.resolve(element);
    } else {
      this.items.push(element);
    }
  }

  keep(stanza: Element): void {
    this.kept.push(stanza);
  }

  /** What the negotiation kept or did not read, in arrival order; the inbox is not read again. */
  drain(): Element[] {
    return [...this.kept.splice(0), ...this.items.splice(0)];
  }

  /** No more elements will come: pending and later reads reject with `error`. */
  fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiter?.reject(error);
    this.waiter = null;
  }

  next(timeoutMs = 20_000): Promise<Element> {
    const queued = this.items.shift();
    if (queued) return Promise.resolve(queued);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new ConnectionError('the server stopped answering'));
      }, timeoutMs);
      this.waiter = {
        resolve: (element) => { clearTimeout(timer); resolve(element); },
        reject: (error) => { clearTimeout(timer); reject(error); },
      };
    });
  }
}
