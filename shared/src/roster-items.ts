// RFC 6121 §2 roster items on the wire: as a client reads and writes them, and as the server sends
// them in roster results and pushes.
import { NS } from './namespaces.ts';
import { xml, type Element } from './xml.ts';

export type Subscription = 'none' | 'to' | 'from' | 'both' | 'remove';

export interface RosterEntry {
  jid: string;
  name?: string;
  subscription: Subscription;
  /** An outgoing subscription request is pending (ask='subscribe'). */
  pending: boolean;
  /** The contact's subscription is pre-approved (approved='true', RFC 6121 §3.4). */
  approved?: boolean;
  groups: string[];
}

const SUBSCRIPTIONS: readonly string[] = ['none', 'to', 'from', 'both', 'remove'];

export function parseRosterEntry(item: Element): RosterEntry | undefined {
  const jid = item.attrs.jid;
  if (!jid) return undefined;
  const subscription = SUBSCRIPTIONS.includes(item.attrs.subscription) ? item.attrs.subscription as Subscription : 'none';
  const groups = item.getChildren('group').map((group) => group.getText().trim()).filter(Boolean);
  const entry: RosterEntry = { jid, name: item.attrs.name || undefined, subscription, pending: item.attrs.ask === 'subscribe', groups };
  if (item.attrs.approved === 'true') entry.approved = true;
  return entry;
}

/** An <item/> of a roster result or push (RFC 6121 §2.1.2); subscription='remove' for a removal push (§2.5.2). */
export function rosterItemElement(entry: RosterEntry): Element {
  return xml('item', {
    jid: entry.jid,
    name: entry.name || undefined,
    subscription: entry.subscription,
    ask: entry.pending ? 'subscribe' : undefined,
    approved: entry.approved ? 'true' : undefined,
  }, ...entry.groups.map((group) => xml('group', null, group)));
}

/** The <query/> of a roster result or push, with its version (RFC 6121 §2.1.3, §2.6). */
export function rosterQuery(items: Element[], version?: string): Element {
  return xml('query', { xmlns: NS.roster, ver: version }, ...items);
}

/** Items and version of a roster result or push (RFC 6121 §2.1.3, §2.6). Undefined when the iq has no query. */
export function parseRosterQuery(iq: Element): { version?: string; items: RosterEntry[] } | undefined {
  const query = iq.getChild('query', NS.roster);
  if (!query) return undefined;
  const items: RosterEntry[] = [];
  for (const item of query.getChildren('item')) {
    const entry = parseRosterEntry(item);
    if (entry) items.push(entry);
  }
  return { version: query.attrs.ver, items };
}

/** Roster get, with the cached version when the server supports versioning (RFC 6121 §2.6.2). */
export function rosterGet(version?: string, id?: string): Element {
  return xml('iq', { type: 'get', id }, xml('query', { xmlns: NS.roster, ver: version }));
}

/** Roster set adding or updating an item (RFC 6121 §2.3), or removing it (§2.5). */
export function rosterSet(item: { jid: string; name?: string; groups?: string[]; remove?: boolean }, id?: string): Element {
  return xml('iq', { type: 'set', id },
    xml('query', { xmlns: NS.roster },
      xml('item', { jid: item.jid, name: item.remove ? undefined : item.name || undefined, subscription: item.remove ? 'remove' : undefined },
        ...(item.remove ? [] : (item.groups ?? []).map((group) => xml('group', null, group))))));
}
