// The roster as the panel shows it: roster items joined with presence and vCard cards, plus
// pending subscription requests.
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
}

export class Contacts {
  byJid = $state<Record<string, Contact>>({});
  /** People we chat with who are not in the roster (their vCard still gives name and photo). */
  strangers = $state<Record<string, Contact>>({});
  requests = $state<string[]>([]);
  private readonly presences = new Map<string, ContactPresence>();
  private readonly cards = new Map<string, ContactCard>();

  /** A contact, or a stranger's placeholder (someone not in the roster can message us). */
  get(bare: string): Contact {
    return this.byJid[bare] ?? this.strangers[bare] ?? this.build(bare, undefined);
  }

  setRoster(items: ReadonlyMap<string, RosterEntry>): void {
    const next: Record<string, Contact> = {};
    for (const [bare, item] of items) next[bare] = this.build(bare, item);
    this.byJid = next;
    // A request from someone we now see both ways is settled.
    this.requests = this.requests.filter((bare) => !['from', 'both'].includes(items.get(bare)?.subscription ?? ''));
  }

  setPresence(bare: string, presence: ContactPresence): void {
    this.presences.set(bare, presence);
    const contact = this.byJid[bare];
    if (contact) this.byJid[bare] = { ...contact, availability: presence.availability, status: presence.status };
  }

  setCard(bare: string, card: ContactCard): void {
    this.cards.set(bare, card);
    const contact = this.byJid[bare];
    if (contact) {
      this.byJid[bare] = { ...contact, photo: card.photo, name: displayName(bare, contact.rosterName, card.fullName) };
    } else {
      this.strangers[bare] = this.build(bare, undefined);
    }
  }

  addRequest(bare: string): void {
    if (!this.requests.includes(bare)) this.requests = [...this.requests, bare];
  }

  dropRequest(bare: string): void {
    this.requests = this.requests.filter((jid) => jid !== bare);
  }

  private build(bare: string, item: RosterEntry | undefined): Contact {
    const presence = this.presences.get(bare);
    const card = this.cards.get(bare);
    return {
      jid: bare,
      name: displayName(bare, item?.name, card?.fullName),
      rosterName: item?.name,
      groups: item?.groups ?? [],
      subscription: item && item.subscription !== 'remove' ? item.subscription : 'none',
      pending: item?.pending ?? false,
      inRoster: item !== undefined,
      availability: presence?.availability ?? 'offline',
      status: presence?.status,
      photo: card?.photo,
    };
  }
}
