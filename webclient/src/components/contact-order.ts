// The roster as rows of one virtual list: a header per group (sorted, contacts in no group last),
// then its contacts (online first) unless the group is collapsed; the filter keeps the contacts
// whose name, address, status or group contains it. Linear in the roster: no sort here
// (Contacts keeps each group sorted).
import type { Contact } from '../state/contacts.svelte.ts';

export type RosterRow =
  | { kind: 'group'; key: string; group: string; online: number; total: number; collapsed: boolean }
  | { kind: 'contact'; key: string; group: string; contact: Contact };

/**
 * Contact rows kept from one call to the next: a contact is an immutable object replaced when it
 * changes, so its row (and the row's key) stays valid while the object is the same. A roster of
 * thousands then rebuilds only the array, not thousands of rows and keys, on each update.
 */
export class ContactRows {
  private readonly byGroup = new Map<string, WeakMap<Contact, RosterRow>>();

  rowOf(group: string, contact: Contact): RosterRow {
    let rows = this.byGroup.get(group);
    if (!rows) this.byGroup.set(group, (rows = new WeakMap()));
    let row = rows.get(contact);
    if (!row) rows.set(contact, (row = { kind: 'contact', key: `contact:${group}:${contact.jid}`, group, contact }));
    return row;
  }
}

export function rosterRows(groups: Iterable<[string, readonly Contact[]]>, filter: string, collapsed: Readonly<Record<string, boolean>>,
  cache = new ContactRows()): RosterRow[] {
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
    for (const contact of shown) rows.push(cache.rowOf(group, contact));
  }
  return rows;
}

/** Where the rows of another height (group headers) are: while it is the same, row sizes are too. */
export function rowLayout(rows: readonly RosterRow[]): string {
  let layout = String(rows.length);
  for (let i = 0; i < rows.length; i++) if (rows[i]!.kind === 'group') layout += `,${i}`;
  return layout;
}
