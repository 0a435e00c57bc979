// Who hears of a pubsub.<domain> node's events (XEP-0060 §7.1.2.1, §7.2.2.1, §8.4.2, §8.5.3,
// §8.2.4): its subscribers — as they subscribed, a full JID (that session) or a bare JID (every
// available resource, RFC 6121 §8.5.2.1.1 for headlines) — unless their options say pubsub#deliver
// false, an outcast or, on a whitelist node, no longer affiliated. Local sessions get the message
// serialized once (only 'to' differs); bare JIDs and users on other servers go through the router
// (s2s for remote subscribers). Also: the approval request to a node's owners (§8.6), what became
// of a subscription (§8.6, §8.8.4), and the last item to a new subscriber (§6.1.7).
import { JID, NS, escapeXML, serialize, tryParseJid, xml, type Element } from '@parley/shared';
import type { Routing } from '../../core/module-api.ts';
import type { Origin } from '../../core/origin.ts';
import type { Logger } from '../../logger.ts';
import { affiliated, bareOf, itemsEvent, viewOf, type Broadcaster, type PubSubEvent } from '../../pubsub/service.ts';
import type { StoredItem, StoredNode } from '../../pubsub/store.ts';

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${(++counter).toString(36)}`;

export class ServiceBroadcaster implements Broadcaster {
  constructor(private readonly router: Routing, private readonly service: JID, private readonly origin: Origin, private readonly log: Logger) {}

  broadcast(event: PubSubEvent): void {
    const { node } = event;
    const id = nextId('pubsub');
    const type = node.config.notificationType;
    // serialized once; each recipient's copy differs only in 'to'
    const head = `<message xmlns="${NS.client}" type="${type}" from="${escapeXML(this.service.full)}" id="${id}" to="`;
    const tail = `">${serialize(event.event)}</message>`;
    for (const subscriber of Object.keys(node.subscriptions)) {
      if (!receives(node, subscriber)) continue;
      const to = tryParseJid(subscriber);
      if (!to) continue;
      if (to.resource !== '' && this.router.deliverSerialized(to.full, head + escapeXML(to.full) + tail)) continue;
      this.send(xml('message', { xmlns: NS.client, type, from: this.service.full, to: to.full, id }, event.event), to);
    }
  }

  /** §8.6: a form to each owner of the node (the first approval or denial decides). */
  askApproval(node: StoredNode, subscriber: string, subid: string): void {
    const owners = Object.entries(node.affiliations).filter(([, affiliation]) => affiliation === 'owner').map(([jid]) => jid);
    for (const owner of owners) {
      const to = tryParseJid(owner);
      if (!to) continue;
      this.send(xml('message', { xmlns: NS.client, from: this.service.full, to: owner, id: nextId('approve') },
        xml('body', {}, `${subscriber} asks to subscribe to the node ${node.node}. Approve or deny with the form.`),
        xml('x', { xmlns: NS.dataForms, type: 'form' },
          xml('title', {}, 'PubSub subscriber request'),
          xml('instructions', {}, 'Allow this JID to subscribe to the node?'),
          field('FORM_TYPE', 'hidden', `${NS.pubsub}#subscribe_authorization`),
          field('pubsub#subid', 'hidden', subid),
          field('pubsub#node', 'text-single', node.node, 'Node ID'),
          field('pubsub#subscriber_jid', 'jid-single', subscriber, 'Subscriber Address'),
          field('pubsub#allow', 'boolean', 'false', 'Allow this JID to subscribe to this pubsub node?'))), to);
    }
  }

  subscriptionChanged(node: StoredNode, subscriber: string, state: 'subscribed' | 'none', subid?: string): void {
    const to = tryParseJid(subscriber);
    if (!to) return;
    this.send(xml('message', { xmlns: NS.client, from: this.service.full, to: subscriber, id: nextId('subscription') },
      xml('event', { xmlns: NS.pubsubEvent }, xml('subscription', { node: node.node, jid: subscriber, subscription: state, subid }))), to);
  }

  /** §6.1.7: the node's last item, stamped with when it was published (XEP-0203). */
  lastItem(node: StoredNode, item: StoredItem, to: JID): void {
    this.send(xml('message', { xmlns: NS.client, type: node.config.notificationType, from: this.service.full, to: to.full, id: nextId('pubsub-last') },
      itemsEvent(node.node, [viewOf(item)], node.config.deliverPayloads),
      xml('delay', { xmlns: NS.delay, stamp: new Date(item.publishedAt).toISOString(), from: this.service.full })), to);
  }

  private send(message: Element, to: JID): void {
    Promise.resolve(this.router.route(message, this.service, to, this.origin))
      .catch((err: unknown) => this.log.debug({ err, to: to.full }, 'pubsub: a notification could not be routed'));
  }
}

/** Whether a subscriber is told of the node's events now. */
function receives(node: StoredNode, subscriber: string): boolean {
  if (node.subscriptionOptions[subscriber]?.deliver === false) return false;
  if (node.affiliations[bareOf(subscriber)] === 'outcast') return false;
  return node.config.accessModel !== 'whitelist' || affiliated(node, subscriber);
}

function field(name: string, type: string, value: string, label?: string): Element {
  return xml('field', { var: name, type, label }, xml('value', {}, value));
}
