// Roster items on the wire and stored roster changes (RFC 6121 §2.1.2), shared by the roster and
// presence modules. A change is announced as 'roster-changed'; the roster module pushes it (§2.1.6).
import { StanzaError, rosterItemElement, type Element } from '@parley/shared';
import type { ModuleContext } from '../../core/module-api.ts';
import type { RosterChange } from '../../core/server-events.ts';
import type { RosterItem, StateStores } from '../../storage/index.ts';

/** The part of a module context a roster change needs. */
export type RosterWriter = Pick<ModuleContext<unknown>, 'services' | 'emit'>;

export function emptyItem(jid: string): RosterItem {
  return { jid, name: null, subscription: 'none', ask: false, approved: false, groups: [] };
}

export function itemElement(item: RosterItem): Element {
  return rosterItemElement({
    jid: item.jid, name: item.name ?? undefined, subscription: item.subscription, pending: item.ask, approved: item.approved, groups: item.groups,
  });
}

/** The item of a removal push (RFC 6121 §2.5.2). */
export function removedItemElement(jid: string): Element {
  return rosterItemElement({ jid, subscription: 'remove', pending: false, groups: [] });
}

/**
 * Whether the owner's roster can take one more item (limits.rosterItems, on every path that creates
 * one); `stores`: a transaction's, when asked inside one.
 */
export async function rosterHasRoom(ctx: RosterWriter, owner: string, maxItems: number, stores: StateStores = ctx.services.storage): Promise<boolean> {
  return (await stores.roster.count(owner)) < maxItems;
}

export function rosterFull(maxItems: number): StanzaError {
  return new StanzaError('not-allowed', `a roster holds at most ${maxItems} contacts`);
}

/** Store an item and announce the change. */
export async function saveRosterItem(ctx: RosterWriter, owner: string, item: RosterItem): Promise<void> {
  const version = await ctx.services.storage.roster.put(owner, item);
  await ctx.emit('roster-changed', { owner, contact: item.jid, item, version });
}

/** The stores of a roster edit, and its roster writes (announced once the edit is stored). */
export interface RosterEdit {
  readonly stores: StateStores;
  save(owner: string, item: RosterItem): Promise<void>;
  remove(owner: string, contact: string): Promise<void>;
}

/**
 * Several reads and writes as one storage transaction (a subscription state change touches the
 * roster and the pending requests together); the changes are announced after the commit, in order
 * ('roster-changed': the roster module pushes them, RFC 6121 §2.1.6). `work` only reads and
 * writes: routing stanzas comes after, with its result.
 */
export async function changeRoster<T>(ctx: RosterWriter, work: (edit: RosterEdit) => Promise<T>): Promise<T> {
  const changes: RosterChange[] = [];
  const result = await ctx.services.storage.transaction((tx) => work({
    stores: tx,
    async save(owner, item) {
      changes.push({ owner, contact: item.jid, item, version: await tx.roster.put(owner, item) });
    },
    async remove(owner, contact) {
      const version = await tx.roster.remove(owner, contact);
      if (version !== null) changes.push({ owner, contact, item: null, version });
    },
  }));
  for (const change of changes) await ctx.emit('roster-changed', change);
  return result;
}
