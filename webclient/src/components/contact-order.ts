// Roster ordering and filtering: groups alphabetically (ungrouped last), online people first.
import type { Availability } from '@parley/shared';
import type { Contact } from '../state/contacts.svelte.ts';

const RANK: Record<Availability, number> = { available: 0, dnd: 1, away: 2, xa: 3, offline: 4 };
export const NO_GROUP = 'Contacts';

export interface ContactGroup {
  name: string;
  contacts: Contact[];
  online: number;
}

export function matches(contact: Contact, filter: string): boolean {
  const needle = filter.trim().toLocaleLowerCase();
  if (!needle) return true;
  return [contact.name, contact.jid, contact.status ?? '', ...contact.groups].some((text) => text.toLocaleLowerCase().includes(needle));
}

export function compareContacts(a: Contact, b: Contact): number {
  return RANK[a.availability] - RANK[b.availability] || a.name.localeCompare(b.name, undefined, { sensitivity: 'base' });
}

export function groupContacts(contacts: Iterable<Contact>, filter: string): ContactGroup[] {
  const groups = new Map<string, Contact[]>();
  for (const contact of contacts) {
    if (!matches(contact, filter)) continue;
    for (const group of contact.groups.length ? contact.groups : [NO_GROUP]) {
      let list = groups.get(group);
      if (!list) groups.set(group, (list = []));
      list.push(contact);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === NO_GROUP ? 1 : b === NO_GROUP ? -1 : a.localeCompare(b)))
    .map(([name, list]) => ({
      name,
      contacts: list.sort(compareContacts),
      online: list.filter((c) => c.availability !== 'offline').length,
    }));
}
