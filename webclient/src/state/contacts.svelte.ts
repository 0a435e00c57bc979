// The roster as the panel shows it: roster items joined with presence and vCard cards, plus
// pending subscription requests. Built for thousands of contacts: contacts are plain immutable
// objects (no deep proxies), each group is kept sorted and a change moves one contact (binary
// search) instead of re-sorting; the components re-read on `version`, bumped at most once a frame.
import type { Availability, RosterEntry, Subscription } from '@parley/shared';
import { displayName } from '../lib/identity.ts';
import type { ContactCard } from '../xmpp/avatars.ts';
import type { ContactPresence } from '../xmpp/presence.ts';

export interface Contact {
  jid: string;
  name: string;
  /** The name the user gave in the roster (absent: name comes from the vCard or the address). */
  rosterName?: string;
  groups: string[];
  subscription: Exclude<Subscription, 'remove'>;
  /** We asked to see their presence and wait for an answer. */
  pending: boolean;
  inRoster: boolean;
  availability: Availability;
  status?: string;
  photo?: string;
  /** Name, address, status and groups, lower-cased: what the filter looks in. */
  searchText: string;
}

/** The group of contacts in no group. */
export const NO_GROUP = '';

const RANK: Record<Availability, number> = { available: 0, dnd: 1, away: 2, xa: 3, offline: 4 };
const collator = new Intl.Collator(undefined, { sensitivity: 'base' });

/** Online people first, then by name; the address breaks ties so that the order is total. */
export function compareContacts(a: Contact, b: Contact): number {
  return RANK[a.availability] - RANK[b.availability] || collator.compare(a.name, b.name) || (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0);
}

/** Where `contact` goes in the sorted `list` (or where it is). */
function position(list: Contact[], contact: Contact): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareContacts(list[middle]!, contact) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

export class Contacts {
  /** Bumped when anything shown changed; read it to depend on the roster. */
  version = $state(0);
  requests = $state<string[]>([]);
  private readonly roster = new Map<string, Contact>();
  /** People we chat with who are not in the roster (their vCard still gives name and photo). */
  private readonly strangers = new Map<string, Contact>();
  /** Each group's contacts in display order. */
  private readonly groups = new Map<string, Contact[]>();
  private readonly presences = new Map<string, ContactPresence>();
  private readonly cards = new Map<string, ContactCard>();
  private bumpScheduled = false;

  /** A contact, or a stranger's placeholder (someone not in the roster can message us). */
  get(bare: string): Contact {
    void this.version;
    return this.roster.get(bare) ?? this.strangers.get(bare) ?? this.build(bare, undefined);
  }

  /** In the roster (not a stranger). */
  inRoster(bare: string): Contact | undefined {
    void this.version;
    return this.roster.get(bare);
  }

  get size(): number {
    void this.version;
    return this.roster.size;
  }

  /** Group names, sorted (contacts in no group last), each with its sorted contacts. */
  sortedGroups(): [string, readonly Contact[]][] {
    void this.version;
    return [...this.groups.entries()].sort(([a], [b]) => (a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : collator.compare(a, b)));
  }

  setRoster(items: ReadonlyMap<string, RosterEntry>): void {
    this.roster.clear();
    this.groups.clear();
    for (const [bare, item] of items) this.roster.set(bare, this.build(bare, item));
    // One sort per group at first; later changes move single contacts.
    for (const contact of this.roster.values()) for (const group of groupsOf(contact)) this.listOf(group).push(contact);
    for (const list of this.groups.values()) list.sort(compareContacts);
    // A request from someone we now see both ways is settled.
    this.requests = this.requests.filter((bare) => !['from', 'both'].includes(items.get(bare)?.subscription ?? ''));
    this.changed();
  }

  /** One roster item changed (a roster push); `item` undefined: removed. */
  setItem(bare: string, item: RosterEntry | undefined): void {
    const old = this.roster.get(bare);
    if (item) {
      const next = this.build(bare, item);
      if (old) this.replace(old, next);
      else this.insert(next);
      if (item.subscription === 'from' || item.subscription === 'both') this.dropRequest(bare);
    } else if (old) {
      this.roster.delete(bare);
      this.unlist(old);
      this.changed();
    }
  }

  setPresence(bare: string, presence: ContactPresence): void {
    this.presences.set(bare, presence);
    const contact = this.roster.get(bare);
    if (!contact || (contact.availability === presence.availability && contact.status === presence.status)) return;
    this.replace(contact, this.build(bare, this.entryOf(contact)));
  }

  setCard(bare: string, card: ContactCard): void {
    this.cards.set(bare, card);
    const contact = this.roster.get(bare);
    if (contact) this.replace(contact, this.build(bare, this.entryOf(contact)));
    else this.strangers.set(bare, this.build(bare, undefined));
    this.changed();
  }

  addRequest(bare: string): void {
    if (!this.requests.includes(bare)) this.requests = [...this.requests, bare];
  }

  dropRequest(bare: string): void {
    this.requests = this.requests.filter((jid) => jid !== bare);
  }

  /** Swap a contact for its new version, moving it in each of its groups. */
  private replace(old: Contact, next: Contact): void {
    this.unlist(old);
    this.insert(next);
  }

  private insert(contact: Contact): void {
    this.roster.set(contact.jid, contact);
    for (const group of groupsOf(contact)) {
      const list = this.listOf(group);
      list.splice(position(list, contact), 0, contact);
    }
    this.changed();
  }

  private unlist(contact: Contact): void {
    for (const group of groupsOf(contact)) {
      const list = this.groups.get(group);
      if (!list) continue;
      const at = position(list, contact);
      if (list[at] === contact) list.splice(at, 1);
      if (list.length === 0) this.groups.delete(group);
    }
  }

  private listOf(group: string): Contact[] {
    let list = this.groups.get(group);
    if (!list) this.groups.set(group, (list = []));
    return list;
  }

  /** Many changes in a row (presence at sign-in) make one update of the screen per frame. */
  private changed(): void {
    if (this.bumpScheduled) return;
    this.bumpScheduled = true;
    const bump = () => {
      this.bumpScheduled = false;
      this.version++;
    };
    if (typeof requestAnimationFrame === 'function' && typeof document !== 'undefined' && !document.hidden) requestAnimationFrame(bump);
    else setTimeout(bump, 0);
  }

  private entryOf(contact: Contact): RosterEntry {
    return { jid: contact.jid, name: contact.rosterName, groups: contact.groups, subscription: contact.subscription, pending: contact.pending };
  }

  private build(bare: string, item: RosterEntry | undefined): Contact {
    const presence = this.presences.get(bare);
    const card = this.cards.get(bare);
    const name = displayName(bare, item?.name, card?.fullName);
    const groups = item?.groups ?? [];
    return {
      jid: bare,
      name,
      rosterName: item?.name,
      groups,
      subscription: item && item.subscription !== 'remove' ? item.subscription : 'none',
      pending: item?.pending ?? false,
      inRoster: item !== undefined,
      availability: presence?.availability ?? 'offline',
      status: presence?.status,
      photo: card?.photo,
      searchText: [name, bare, presence?.status ?? '', ...groups].join('\n').toLocaleLowerCase(),
    };
  }
}

function groupsOf(contact: Contact): string[] {
  return contact.groups.length ? contact.groups : [NO_GROUP];
}
