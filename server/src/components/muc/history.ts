// XEP-0045 §7.2.15 discussion history: the room's last messages for joining occupants, cut by the
// occupant's <history maxchars maxstanzas seconds since/> (§7.2.15, Example 37–41) and the room's
// muc#maxhistoryfetch, each sent with a XEP-0203 delay stamped by the room.
import { Element, NS, serialize, xml } from '@parley/shared';

export interface HistoryEntry {
  /** The broadcast message, without 'to'. */
  readonly message: Element;
  readonly stamp: number;
  readonly stanzaId: string;
  /** Characters of the message as sent (maxchars counts them). */
  readonly size: number;
}

export interface HistoryRequest {
  maxchars?: number;
  maxstanzas?: number;
  seconds?: number;
  since?: number;
}

const INTEGER = /^\d{1,9}$/;

/** The <history/> of a join, unknown or bad attributes ignored (§7.2.15: the service MAY ignore them). */
export function readHistoryRequest(history: Element | undefined): HistoryRequest {
  const request: HistoryRequest = {};
  if (!history) return request;
  for (const name of ['maxchars', 'maxstanzas', 'seconds'] as const) {
    const value = history.attrs[name];
    if (typeof value === 'string' && INTEGER.test(value)) request[name] = Number(value);
  }
  const since = history.attrs.since;
  if (typeof since === 'string') {
    const ms = Date.parse(since);
    if (!Number.isNaN(ms)) request.since = ms;
  }
  return request;
}

export class RoomHistory {
  private entries: HistoryEntry[] = [];

  constructor(private limit: number) {}

  get size(): number {
    return this.entries.length;
  }

  setLimit(limit: number): void {
    this.limit = limit;
    if (this.entries.length > limit) this.entries = this.entries.slice(this.entries.length - limit);
  }

  add(entry: HistoryEntry): void {
    if (this.limit === 0) return;
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.shift();
  }

  /** XEP-0425: a retracted message is not sent to later joiners. */
  remove(stanzaId: string): boolean {
    const index = this.entries.findIndex((entry) => entry.stanzaId === stanzaId);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    return true;
  }

  has(stanzaId: string): HistoryEntry | undefined {
    return this.entries.find((entry) => entry.stanzaId === stanzaId);
  }

  /** The entries a join asks for, oldest first. */
  select(request: HistoryRequest, now = Date.now()): HistoryEntry[] {
    let selected = this.entries;
    if (request.maxstanzas !== undefined) selected = request.maxstanzas === 0 ? [] : selected.slice(-request.maxstanzas);
    if (request.seconds !== undefined) {
      const from = now - request.seconds * 1000;
      selected = selected.filter((entry) => entry.stamp >= from);
    }
    if (request.since !== undefined) selected = selected.filter((entry) => entry.stamp > request.since!);
    if (request.maxchars !== undefined) {
      let chars = 0;
      let first = selected.length;
      while (first > 0 && chars + selected[first - 1]!.size <= request.maxchars) chars += selected[--first]!.size;
      selected = selected.slice(first);
    }
    return selected;
  }
}

/** The history message for one recipient: the message with a delay stamped by the room. */
export function historyMessage(entry: HistoryEntry, to: string, room: string): string {
  const copy = new Element('message', { ...entry.message.attrs, to });
  for (const node of entry.message.children) copy.children.push(node);
  copy.children.push(xml('delay', { xmlns: NS.delay, from: room, stamp: new Date(entry.stamp).toISOString() }));
  return serialize(copy);
}
