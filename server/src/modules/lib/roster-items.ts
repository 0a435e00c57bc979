// Roster items on the wire and stored roster changes (RFC 6121 §2.1.2), shared by the roster and
// presence modules. A change is announced as 'roster-changed'; the roster module pushes it (§2.1.6).
import { StanzaError, xml, type Element } from '@parley/shared';
import type { ModuleContext } from '../../core/module-api.ts';
import type { RosterItem } from '../../storage/index.ts';

/** The part of a module context a roster change needs. */
export type RosterWriter = Pick<ModuleContext<unknown>, 'services' | 'emit'>;

export function emptyItem(jid: string): RosterItem {
  return { jid, name: null, subscription: 'none', ask: false, approved: false, groups: [] };
}

export function itemElement(item: RosterItem): Element {
  return xml('item', {
    jid: item.jid,
    name: item.name ?? undefined,
    subscription: item.subscription,
    ask: item.ask ? 'subscribe' : undefined,
    approved: item.approved ? 'true' : undefined,
  }, ...item.groups.map((group) => xml('group', null, group)));
}

/** Whether the owner's roster can take one more item (limits.rosterItems, on every path that creates one). */
export async function rosterHasRoom(ctx: RosterWriter, owner: string, maxItems: number): Promise<boolean> {
  return (await ctx.services.storage.roster.count(owner)) < maxItems;
}

export function rosterFull(maxItems: number): StanzaError {
  return new StanzaError('not-allowed', `a roster holds at most ${maxItems} contacts`);
}

/** Store an item and announce the change. */
export async function saveRosterItem(ctx: RosterWriter, owner: string, item: RosterItem): Promise<void> {
  const version = await ctx.services.storage.roster.put(owner, item);
  await ctx.emit('roster-changed', { owner, contact: item.jid, item, version });
}

/** Remove an item and announce the change; false when there was none. */
export async function removeRosterItem(ctx: RosterWriter, owner: string, contact: string): Promise<boolean> {
  const version = await ctx.services.storage.roster.remove(owner, contact);
  if (version === null) return false;
  await ctx.emit('roster-changed', { owner, contact, item: null, version });
  return true;
}
