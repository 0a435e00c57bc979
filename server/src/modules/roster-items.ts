// Roster items on the wire and roster pushes (RFC 6121 §2.1.2, §2.1.6), shared by roster and presence.
import { NS, StanzaError, rosterItemElement, rosterQuery, xml, type Element } from '@parley/shared';
import { randomBytes } from 'node:crypto';
import type { RosterItem, StateStores } from '../storage/index.ts';
import type { ServerContext } from '../context.ts';

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

/** Push a changed (or removed) item to every interested resource of the owner (RFC 6121 §2.1.6). */
export function pushRosterItem(ctx: ServerContext, owner: string, item: Element, version: string): void {
  for (const session of ctx.sessions.resources(owner)) {
    if (!session.presence.interested) continue;
    session.send(xml('iq', { xmlns: NS.client, type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: session.jid!.full },
      rosterQuery([item], version)));
  }
}

/**
 * Whether the owner's roster can take one more item (limits.rosterItems, on every path that creates
 * one); `stores`: a transaction's, when asked inside one.
 */
export async function rosterHasRoom(ctx: ServerContext, owner: string, stores: StateStores = ctx.storage): Promise<boolean> {
  return (await stores.roster.count(owner)) < ctx.config.limits.rosterItems;
}

export function rosterFull(ctx: ServerContext): StanzaError {
  return new StanzaError('not-allowed', `a roster holds at most ${ctx.config.limits.rosterItems} contacts`);
}

/** Store an item and push it. */
export async function saveRosterItem(ctx: ServerContext, owner: string, item: RosterItem): Promise<void> {
  const version = await ctx.storage.roster.put(owner, item);
  pushRosterItem(ctx, owner, itemElement(item), version);
}

/** The stores of a roster change, and its roster writes (pushed once the change is stored). */
export interface RosterChange {
  readonly stores: StateStores;
  save(owner: string, item: RosterItem): Promise<void>;
  remove(owner: string, contact: string): Promise<void>;
}

/**
 * Several reads and writes as one storage transaction (a subscription state change touches the
 * roster and the pending requests together); the roster pushes (RFC 6121 §2.1.6) go out after the
 * commit, in order. `work` only reads and writes: routing stanzas comes after, with its result.
 */
export async function changeRoster<T>(ctx: ServerContext, work: (change: RosterChange) => Promise<T>): Promise<T> {
  const pushes: Array<[owner: string, item: Element, version: string]> = [];
  const result = await ctx.storage.transaction((tx) => work({
    stores: tx,
    async save(owner, item) {
      pushes.push([owner, itemElement(item), await tx.roster.put(owner, item)]);
    },
    async remove(owner, contact) {
      const version = await tx.roster.remove(owner, contact);
      if (version !== null) pushes.push([owner, removedItemElement(contact), version]);
    },
  }));
  for (const [owner, item, version] of pushes) pushRosterItem(ctx, owner, item, version);
  return result;
}
