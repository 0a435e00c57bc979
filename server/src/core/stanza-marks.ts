// Facts about a stanza object on its way through this process that one module learns and another
// reads, without putting them on the wire (the archiver knows the sender's archive id, XEP-0280 sent
// carbons carry it). Keyed by the element: a mark goes with the stanza object, nothing outlives it.
import type { Element } from '@parley/shared';

export class StanzaMark<T> {
  private readonly values = new WeakMap<Element, T>();

  constructor(readonly name: string) {}

  set(stanza: Element, value: T): void {
    this.values.set(stanza, value);
  }

  get(stanza: Element): T | undefined {
    return this.values.get(stanza);
  }
}

/** XEP-0313/XEP-0359: the id of the message in its sender's archive (set by modules/mam/archiver.ts). */
export const SENDER_ARCHIVE_ID = new StanzaMark<string>('sender-archive-id');
