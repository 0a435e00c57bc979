// The roster as rows of one virtual list: a header per group (sorted, contacts in no group last),
// then its contacts (online first) unless the group is collapsed; the filter keeps the contacts
// whose name, address, status or group contains it. Linear in the roster: no sort here
// (Contacts keeps each group sorted).
import type { Contact } from '../state/contacts.svelte.ts';

export type RosterRow =
  | { kind: 'group'; key: string; group: string; online: number; total: number; collapsed: boolean }
  | { kind: 'contact'; key: string; group: string; contact: Contact };

export function rosterRows(groups: Iterable<[string, readonly Contact[]]>, filter: string, collapsed: Readonly<Record<string, boolean>>): RosterRow[] {
  const needle = filter.trim().toLocaleLowerCase();
  const rows: RosterRow[] = [];
  for (const [group, contacts] of groups) {
    const shown = needle ? contacts.filter((contact) => contact.searchText.includes(needle)) : contacts;
    if (shown.length === 0) continue;
    let online = 0;
    for (const contact of shown) if (contact.availability !== 'offline') online++;
    const closed = !needle && collapsed[group] === true;
    rows.push({ kind: 'group', key: `group:${group}`, group, online, total: shown.length, collapsed: closed });
    if (closed) continue;
    for (const contact of shown) rows.push({ kind: 'contact', key: `contact:${group}:${contact.jid}`, group, contact });
  }
  return rows;
}
