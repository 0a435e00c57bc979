// RFC 6121 §2: roster get, set and remove, with roster versioning (§2.6) and pushes to interested
// resources (§2.1.6) whenever any module changes a roster ('roster-changed').
import { NS, StanzaError, elementChildren, rosterQuery, tryParseJid, xml, type Element, type JID } from '@parley/shared';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { defineModule, type ModuleContext } from '../core/module-api.ts';
import type { RosterChange } from '../core/server-events.ts';
import { changeRoster, emptyItem, itemElement, removedItemElement, rosterFull, rosterHasRoom, saveRosterItem } from './lib/roster-items.ts';

const MAX_NAME_LENGTH = 1024;
/** RFC 6121 §2.1.6 "interested resource": requested the roster, gets pushes (session table interest). */
export const ROSTER_INTEREST = 'roster';

const options = z.object({
  /** Contacts per roster (config limits.rosterItems, which the presence module's subscriptions hold to as well). */
  maxItems: z.number().int().min(10).default(2000),
});
type RosterContext = ModuleContext<z.infer<typeof options>>;

export const rosterModule = defineModule({
  name: 'roster',
  implements: [
    { spec: 'RFC 6121', status: 'complete', note: 'roster management, §2' },
    { spec: 'RFC 6121 §2.6', status: 'complete', note: 'roster versioning' },
  ],
  options,
  configuredOptions: (config) => ({ maxItems: config.limits.rosterItems }),
  register(ctx) {
    ctx.streamFeature(() => xml('ver', { xmlns: NS.rosterVersioning }));
    const query = { name: 'query', xmlns: NS.roster };
    ctx.iq('account', 'get', query, async ({ payload, from, to, origin }) => {
      requireOwnRoster(from, to);
      if (origin.kind === 'client') origin.addInterest(ROSTER_INTEREST);
      const requested = payload.attrs.ver;
      const roster = await ctx.services.storage.roster.get(from.bare);
      // §2.6.3: an unchanged roster is answered with an empty result; pushes follow for later changes.
      if (requested !== undefined && requested === roster.version) return null;
      return rosterQuery(roster.items.map(itemElement), roster.version);
    });
    ctx.iq('account', 'set', query, ({ payload, from, to }) => setRoster(ctx, payload, from, to));
    ctx.on('roster-changed', (change) => push(ctx, change));
  },
});

/** §2.1.5: only the user's own roster, never someone else's. */
function requireOwnRoster(from: JID, to: JID): void {
  if (from.bare !== to.bare) throw new StanzaError('forbidden', 'you can only see your own roster');
}

async function setRoster(ctx: RosterContext, query: Element, from: JID, to: JID): Promise<null> {
  requireOwnRoster(from, to);
  const items = elementChildren(query);
  // §2.3.3: a roster set carries exactly one item.
  if (items.length !== 1 || items[0]!.name !== 'item') throw new StanzaError('bad-request', 'a roster set has exactly one <item/>');
  const element = items[0]!;
  const contact = tryParseJid(element.attrs.jid);
  if (!contact || !contact.isBare) throw new StanzaError('bad-request', 'item needs a bare JID');
  if (contact.bare === from.bare) throw new StanzaError('not-allowed', 'you cannot add yourself');
  // §2.1.2.5: in a roster set the server ignores every 'subscription' value other than 'remove'.
  if (element.attrs.subscription === 'remove') return removeItem(ctx, from, contact);
  const groups = readGroups(element);
  const name = element.attrs.name?.trim() || null;
  if (name && name.length > MAX_NAME_LENGTH) throw new StanzaError('not-acceptable', 'name too long');

  const existing = await ctx.services.storage.roster.getItem(from.bare, contact.bare);
  const { maxItems } = ctx.options;
  if (!existing && !(await rosterHasRoom(ctx, from.bare, maxItems))) throw rosterFull(maxItems);
  // The client sets name and groups; subscription state belongs to the server (§2.1.2.5).
  await saveRosterItem(ctx, from.bare, { ...(existing ?? emptyItem(contact.bare)), name, groups });
  return null;
}

function readGroups(item: Element): string[] {
  const groups: string[] = [];
  for (const node of elementChildren(item)) {
    if (node.name !== 'group') continue;
    const group = node.getText();
    // §2.1.2.4: a group name is not empty; §2.3.3: no duplicate groups.
    if (group === '') throw new StanzaError('not-acceptable', 'empty group name');
    if (group.length > MAX_NAME_LENGTH) throw new StanzaError('not-acceptable', 'group name too long');
    if (groups.includes(group)) throw new StanzaError('bad-request', 'duplicate group');
    groups.push(group);
  }
  return groups;
}

/** §2.5.2: removing an item also cancels subscriptions both ways. */
async function removeItem(ctx: RosterContext, owner: JID, contact: JID): Promise<null> {
  const { storage } = ctx.services;
  const existing = await storage.roster.getItem(owner.bare, contact.bare);
  if (!existing) throw new StanzaError('item-not-found');
  const ownerBare = owner.toBare();
  if (existing.subscription === 'to' || existing.subscription === 'both' || existing.ask) {
    await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unsubscribe', from: ownerBare.bare, to: contact.bare }), ownerBare, contact);
  }
  if (existing.subscription === 'from' || existing.subscription === 'both') {
    await ctx.router.route(xml('presence', { xmlns: NS.client, type: 'unsubscribed', from: ownerBare.bare, to: contact.bare }), ownerBare, contact);
    // §3.2.2: a contact whose subscription is cancelled sees the user's resources go unavailable.
    await ctx.emit('presence/unavailable-to', { owner: ownerBare, contact });
  }
  // the item and a pending request from the contact go together
  await changeRoster(ctx, async ({ stores, remove }) => {
    await stores.subscriptionRequests.remove(owner.bare, contact.bare);
    await remove(owner.bare, contact.bare);
  });
  return null;
}

/** §2.1.6: a changed (or removed) item goes to every interested resource of the owner. */
function push(ctx: RosterContext, change: RosterChange): void {
  const item = change.item ? itemElement(change.item) : removedItemElement(change.contact);
  for (const entry of ctx.sessions.resources(change.owner)) {
    if (!entry.interests.has(ROSTER_INTEREST)) continue;
    const pushed = xml('iq', { xmlns: NS.client, type: 'set', id: `push-${randomBytes(6).toString('hex')}`, to: entry.jid.full },
      rosterQuery([item], change.version));
    void ctx.router.route(pushed, entry.jid.toBare(), entry.jid);
  }
}
