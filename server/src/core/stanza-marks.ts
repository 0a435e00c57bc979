// Facts about a stanza object on its way through this process that one module learns and another
// reads, without putting them on the wire (the archiver knows the sender's archive id, XEP-0280 sent
// carbons carry it). A mark is a property of the element under a symbol of its own: it goes with
// the stanza object and nothing outlives it, as with a WeakMap, but without the WeakMap's cost on
// the hot path (its insert and the collector's ephemeron pass were 2.8 % of the main thread with
// the archive on). Copies of the element (clone()) do not carry it.
import type { Element } from '@parley/shared';

type Marked<T> = Element & { [key: symbol]: T | undefined };

export class StanzaMark<T> {
  private readonly key: symbol;

  constructor(readonly name: string) {
    this.key = Symbol(name);
  }

  set(stanza: Element, value: T): void {
    (stanza as Marked<T>)[this.key] = value;
  }

  get(stanza: Element): T | undefined {
    return (stanza as Marked<T>)[this.key];
  }
}

/** XEP-0313/XEP-0359: the id of the message in its sender's archive (set by modules/mam/archiver.ts). */
export const SENDER_ARCHIVE_ID = new StanzaMark<string>('sender-archive-id');
