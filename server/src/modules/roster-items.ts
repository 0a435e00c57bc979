// Roster items on the wire and roster pushes (RFC 6121 §2.1.2, §2.1.6), shared by roster and presence.
import { NS, StanzaError, xml, type Element } from '@parley/shared';
import { randomBytes } from 'node:crypto';
import type { RosterItem } from '../storage/index.ts';
import type { ServerContext } from '../context.ts';

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

/** Push a changed (or removed) item to every interested resource of the owner (RFC 6121 §2.1.6). */
export function pushRosterItem(ctx: ServerContext, owner: string, item: Element, version: string): void {
  for (const session of ctx.sessions.resources(owner)) {
    if (!session.presence.interested) continue;
    session.send(xml('iq', { xmlns: NS.client, type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: session.jid!.full },
      xml('query', { xmlns: NS.roster, ver: version }, item)));
  }
}

/** Whether the owner's roster can take one more item (limits.rosterItems, on every path that creates one). */
export async function rosterHasRoom(ctx: ServerContext, owner: string): Promise<boolean> {
  return (await ctx.storage.roster.count(owner)) < ctx.config.limits.rosterItems;
}

export function rosterFull(ctx: ServerContext): StanzaError {
  return new StanzaError('not-allowed', `a roster holds at most ${ctx.config.limits.rosterItems} contacts`);
}

/** Store an item and push it. */
export async function saveRosterItem(ctx: ServerContext, owner: string, item: RosterItem): Promise<void> {
  const version = await ctx.storage.roster.put(owner, item);
  pushRosterItem(ctx, owner, itemElement(item), version);
}
