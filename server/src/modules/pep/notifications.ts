// XEP-0163 §4.3: who hears of a PEP event — the owner's own resources and the contacts allowed by
// the node's access model, each resource only if its caps say '+notify' for the node (filtered
// notifications, XEP-0060 §9.2), plus explicit subscribers — and the last items sent to a resource
// whose caps newly ask for them (§4.3.2). Local resources are found in the session table; those of
// contacts on other servers come from the presence they sent (caps/changed), and are reached
// through the router.
import { JID, NS, escapeXML, serialize, tryParseJid, xml, type Element } from '@parley/shared';
import type { ModuleContext } from '../../core/module-api.ts';
import type { Awaitable } from '../../core/events.ts';
import type { KeyValueStore } from '../../storage/index.ts';
import type { RosterItem } from '../../storage/index.ts';
import type { Broadcaster, PubSubEvent, PubSubService } from '../../pubsub/service.ts';
import { itemsEvent, viewOf } from '../../pubsub/service.ts';
import type { StoredItem, StoredNode } from '../../pubsub/store.ts';

let counter = 0;

export class PepBroadcaster implements Broadcaster {
  constructor(private readonly ctx: ModuleContext<unknown>, private readonly owner: JID,
    /** Owner → full JIDs of contacts' resources on other servers → the '+notify' features they announced. */
    private readonly remote: KeyValueStore<string[]>,
    /** The owner's contacts who receive its presence (subscription from or both). */
    private readonly audience: (owner: string) => Promise<readonly RosterItem[]>,
    /** Runs after every event (the module announces bookmark changes from here). */
    private readonly after?: (event: PubSubEvent) => Awaitable) {}

  async broadcast(event: PubSubEvent): Promise<void> {
    const { node } = event;
    const { sessions, router } = this.ctx;
    const notify = `${node.node}+notify`;
    const id = `pep-${(++counter).toString(36)}`;
    // serialized once; each recipient's copy differs only in 'to'
    const head = `<message xmlns="${NS.client}" type="${node.config.notificationType}" from="${escapeXML(this.owner.bare)}" id="${id}" to="`;
    const tail = `">${serialize(event.event)}</message>`;
    const sent = new Set<string>();
    /** The account's available resources here that want the node (all of them for `everyone`); false when it has none here. */
    const toLocal = (bare: string, everyone: boolean): boolean => {
      const resources = sessions.resources(bare);
      if (resources.length === 0) return false;
      for (const entry of resources) {
        const to = entry.jid.full;
        if (!entry.available || sent.has(to) || (!everyone && !entry.interests.has(notify))) continue;
        sent.add(to);
        router.toEntry(entry, head + escapeXML(to) + tail);
      }
      return true;
    };
    const toRemote = (to: JID) => {
      if (sent.has(to.full)) return;
      sent.add(to.full);
      void router.route(xml('message', { xmlns: NS.client, type: node.config.notificationType, from: this.owner.bare, to: to.full, id }, event.event),
        this.owner, to);
    };
    // the owner's own resources (XEP-0163 §4.3.1), then the contacts the access model lets in
    toLocal(this.owner.bare, false);
    let remote: Array<{ key: string; value: string[] }> | null = null;
    for (const item of await this.audience(this.owner.bare)) {
      if (!receivesFrom(item, node) || toLocal(item.jid, false)) continue;
      // a contact without sessions here: its resources elsewhere, read once per event
      remote ??= await this.remote.list(this.owner.bare);
      for (const { key: full, value: features } of remote) {
        const jid = tryParseJid(full);
        if (jid && jid.bare === item.jid && features.includes(notify)) toRemote(jid);
      }
    }
    // explicit subscriptions (XEP-0060 §6.1) are delivered whatever caps say
    for (const subscriber of Object.keys(node.subscriptions)) {
      const jid = tryParseJid(subscriber);
      if (!jid) continue;
      const entry = sessions.get(jid.full);
      if (entry) {
        if (entry.available && !sent.has(jid.full)) {
          sent.add(jid.full);
          router.toEntry(entry, head + escapeXML(jid.full) + tail);
        }
      } else if (jid.resource !== '' || !toLocal(jid.bare, true)) toRemote(jid);
    }
    if (this.after) await this.after(event);
  }
}

/** Whether a roster item's contact may hear of events on this node (XEP-0060 §4.5 access models). */
function receivesFrom(item: RosterItem, node: StoredNode): boolean {
  if (item.subscription !== 'from' && item.subscription !== 'both') return false;
  switch (node.config.accessModel) {
    case 'open':
    case 'presence':
      return true;
    case 'roster':
      return item.groups.some((group) => node.config.rosterGroupsAllowed.includes(group));
    default: {
      const affiliation = node.affiliations[item.jid];
      return affiliation === 'member' || affiliation === 'publisher' || affiliation === 'owner';
    }
  }
}

/** XEP-0060 §6.1.7, XEP-0163 §4.3.2: the last item of a node, stamped with when it was published (XEP-0203). */
export function lastItemMessage(owner: string, to: string, node: StoredNode, item: StoredItem): Element {
  const stamp = new Date(item.publishedAt).toISOString();
  return xml('message', { xmlns: NS.client, type: node.config.notificationType, from: owner, to, id: `pep-last-${(++counter).toString(36)}` },
    itemsEvent(node.node, [viewOf(item)], node.config.deliverPayloads),
    xml('delay', { xmlns: NS.delay, stamp, from: owner }));
}

/**
 * Sends `to` the last item of each of the service's nodes it newly wants (`wanted`: '+notify'
 * features) and may read, where the node sends its last item on presence.
 */
export async function sendLastItems(ctx: ModuleContext<unknown>, service: PubSubService, to: JID, wanted: ReadonlySet<string>): Promise<void> {
  if (wanted.size === 0) return;
  const owner = tryParseJid(service.jid)!;
  const last = await service.lastItems();
  if (last.length === 0) return;
  const nodes = new Map((await service.nodes()).map((node) => [node.node, node]));
  for (const { node: name, item } of last) {
    const node = nodes.get(name);
    if (!node || !wanted.has(`${name}+notify`) || node.config.sendLastPublishedItem !== 'on_sub_and_presence') continue;
    if (!(await service.mayRead(to, node))) continue;
    await ctx.router.route(lastItemMessage(service.jid, to.full, node, item), owner, to);
  }
}
