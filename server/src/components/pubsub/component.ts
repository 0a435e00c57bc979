// A XEP-0060 pubsub service on its own domain (pubsub.<domain>): a component on the router's host
// table, on the same engine as PEP (pubsub/: nodes, items, subscriptions, the wire protocol). It
// answers iqs to the service itself — disco#info and disco#items of the service and of its nodes
// (§5), the entity use cases (§6–§7) and the owner use cases (§8) — and the owners' approval forms
// sent as messages (§8.6). Nodes, items, affiliations and subscriptions live in the pubsub store, so
// every node of a cluster serves the same service; this object keeps nothing but its settings.
import { JID, NS, StanzaError, errorReply, iqResult, readForm, xml, type Element } from '@parley/shared';
import type { Component } from '../../core/hosts.ts';
import type { Routing } from '../../core/module-api.ts';
import type { ComponentOrigin, Origin } from '../../core/origin.ts';
import type { Logger } from '../../logger.ts';
import { entityRequest, ownerRequest, type PubSubAnswer } from '../../pubsub/protocol.ts';
import { PubSubService, type PubSubLimits } from '../../pubsub/service.ts';
import type { PubSubStore, StoredNode } from '../../pubsub/store.ts';
import { decidePending } from '../../pubsub/subscriptions.ts';
import { ServiceBroadcaster } from './notifications.ts';
import { ServiceNodePolicy } from './policy.ts';

/** XEP-0060 §10 features of the service (and what they stand for here). */
const FEATURES = [
  'access-authorize', 'access-open', 'access-whitelist', 'config-node', 'create-and-configure', 'create-nodes', 'delete-items',
  'delete-nodes', 'instant-nodes', 'item-ids', 'last-published', 'manage-subscriptions', 'member-affiliation', 'modify-affiliations',
  'multi-items', 'outcast-affiliation', 'persistent-items', 'publish', 'publish-options', 'publisher-affiliation', 'purge-nodes',
  'retract-items', 'retrieve-affiliations', 'retrieve-default', 'retrieve-default-sub', 'retrieve-items', 'retrieve-subscriptions',
  'subscribe', 'subscription-notifications', 'subscription-options',
].map((feature) => `${NS.pubsub}#${feature}`);

const SUBSCRIBE_AUTHORIZATION = `${NS.pubsub}#subscribe_authorization`;

export interface PubSubComponentSettings {
  readonly name: string;
  /** The account domain it serves (whose users may create nodes). */
  readonly domain: string;
  readonly router: Routing;
  readonly store: PubSubStore;
  readonly limits: PubSubLimits;
  readonly defaultMaxItems: number;
  /** Whether a JID administers the service (config admins, the directory's im-admin role). */
  readonly isAdmin: (jid: JID) => Promise<boolean>;
  /** Whether a non-admin JID may create nodes (nodeCreation and the domain). */
  readonly mayCreate: (jid: JID) => boolean;
  readonly log: Logger;
}

export class PubSubComponent implements Component {
  readonly kind = 'component';
  readonly name: string;
  private readonly jid: JID;
  private readonly origin: ComponentOrigin;
  private readonly broadcaster: ServiceBroadcaster;

  constructor(private readonly settings: PubSubComponentSettings) {
    this.name = settings.name;
    this.jid = new JID('', settings.name);
    this.origin = Object.freeze({ kind: 'component', domain: settings.name });
    this.broadcaster = new ServiceBroadcaster(settings.router, this.jid, this.origin, settings.log);
  }

  /** The service as `requester` sees it (its policy knows whether the requester is an admin). */
  private async serviceFor(requester: JID): Promise<PubSubService> {
    const { settings } = this;
    const policy = new ServiceNodePolicy(requester, await settings.isAdmin(requester), settings.mayCreate(requester), settings.defaultMaxItems);
    return new PubSubService(this.name, settings.store, policy, this.broadcaster, settings.limits);
  }

  async receive(stanza: Element, from: JID, to: JID, origin: Origin): Promise<void> {
    const type = stanza.attrs.type;
    if (type === 'error' || (stanza.name === 'iq' && type === 'result') || stanza.name === 'presence') return;
    try {
      // nodes are addressed by the node attribute, not by JID (§4.6.1): nothing lives at user@service
      if (to.local !== '' || to.resource !== '') throw new StanzaError('service-unavailable');
      if (stanza.name === 'iq') await this.iq(stanza, from, to);
      else if (stanza.name === 'message') await this.message(stanza, from);
    } catch (error) {
      if (!(error instanceof StanzaError)) {
        this.settings.log.error({ err: error }, 'pubsub: request failed');
        error = new StanzaError('internal-server-error');
      }
      if (stanza.name === 'iq') this.reply(errorReply(stanza, error as StanzaError), from);
      else await this.settings.router.bounce(stanza, error as StanzaError, origin);
    }
  }

  private async iq(stanza: Element, from: JID, to: JID): Promise<void> {
    const type = stanza.attrs.type as 'get' | 'set';
    const payload = stanza.children.find((child): child is Element => typeof child !== 'string');
    const xmlns = payload?.attrs.xmlns;
    if (!payload || (type !== 'get' && type !== 'set')) throw new StanzaError('bad-request', 'an iq get or set carries one payload');
    let answer: PubSubAnswer;
    if (payload.name === 'pubsub' && xmlns === NS.pubsub) answer = await entityRequest(await this.serviceFor(from), from, type, payload);
    else if (payload.name === 'pubsub' && xmlns === NS.pubsubOwner) answer = await ownerRequest(await this.serviceFor(from), from, type, payload);
    else if (type === 'get' && payload.name === 'query' && xmlns === NS.discoInfo) answer = { result: await this.info(from, payload.attrs.node) };
    else if (type === 'get' && payload.name === 'query' && xmlns === NS.discoItems) answer = { result: await this.items(from, payload.attrs.node) };
    else if (type === 'get' && payload.name === 'ping' && xmlns === NS.ping) answer = { result: null };
    else throw new StanzaError('service-unavailable');
    this.reply(iqResult(stanza, answer.result), from, to);
    // §6.1.7: the last item follows the subscription's result
    const { lastItem } = answer;
    if (lastItem) setImmediate(() => this.broadcaster.lastItem(lastItem.node, lastItem.item, lastItem.to));
  }

  /** §8.6: an owner's answer to an approval request (a submitted form; a cancelled one leaves it pending). */
  private async message(stanza: Element, from: JID): Promise<void> {
    const form = readForm(stanza);
    if (!form || form.values.get('FORM_TYPE')?.[0] !== SUBSCRIBE_AUTHORIZATION) {
      if (stanza.getChild('body')) throw new StanzaError('service-unavailable', 'this is a pubsub service; it reads no messages');
      return;
    }
    if (form.type === 'cancel') return;
    if (form.type !== 'submit') throw new StanzaError('bad-request', "submit the approval form (type 'submit')");
    const one = (name: string) => form.values.get(name)?.[0]?.trim() ?? '';
    const node = one('pubsub#node');
    const subscriber = one('pubsub#subscriber_jid');
    const allow = one('pubsub#allow');
    if (!node || !subscriber || !['0', '1', 'true', 'false'].includes(allow)) {
      throw new StanzaError('bad-request', 'the approval form needs pubsub#node, pubsub#subscriber_jid and pubsub#allow');
    }
    await decidePending(await this.serviceFor(from), from, node, subscriber, allow === '1' || allow === 'true');
  }

  /** §5.1 the service's identity and features; §5.4 a node's meta-data. */
  private async info(requester: JID, node: string | undefined): Promise<Element> {
    if (node) {
      const stored = await this.visibleNode(requester, node);
      return xml('query', { xmlns: NS.discoInfo, node },
        xml('identity', { category: 'pubsub', type: 'leaf' }),
        xml('feature', { var: NS.pubsub }),
        metadata(stored));
    }
    return xml('query', { xmlns: NS.discoInfo },
      xml('identity', { category: 'pubsub', type: 'service', name: 'Publish-Subscribe' }),
      ...[NS.discoInfo, NS.discoItems, NS.ping, NS.pubsub, NS.pubsubOwner, NS.pubsubPublishOptions, ...FEATURES]
        .map((feature) => xml('feature', { var: feature })));
  }

  /** §5.2 the nodes (a whitelist node only to those on the list); §5.5 a node's items, by id. */
  private async items(requester: JID, node: string | undefined): Promise<Element> {
    const service = await this.serviceFor(requester);
    if (node) {
      const stored = await this.visibleNode(requester, node);
      if (!(await service.mayRead(requester, stored))) return xml('query', { xmlns: NS.discoItems, node });
      const items = await this.settings.store.getItems(this.name, node);
      return xml('query', { xmlns: NS.discoItems, node }, ...items.map((item) => xml('item', { jid: this.name, name: item.id })));
    }
    const listed: Element[] = [];
    for (const stored of await service.nodes()) {
      if (stored.config.accessModel === 'whitelist' && !(await service.mayRead(requester, stored))) continue;
      listed.push(xml('item', { jid: this.name, node: stored.node, name: stored.config.title || undefined }));
    }
    return xml('query', { xmlns: NS.discoItems }, ...listed);
  }

  private async visibleNode(requester: JID, node: string): Promise<StoredNode> {
    const service = await this.serviceFor(requester);
    const stored = await service.node(node);
    if (stored.config.accessModel === 'whitelist' && !(await service.mayRead(requester, stored))) throw new StanzaError('item-not-found');
    return stored;
  }

  private reply(reply: Element, to: JID, from: JID = this.jid): void {
    reply.attrs.from = from.full;
    reply.attrs.to = to.full;
    Promise.resolve(this.settings.router.route(reply, from, to, this.origin))
      .catch((err: unknown) => this.settings.log.debug({ err }, 'pubsub: a reply could not be routed'));
  }
}

/** §5.4: FORM_TYPE pubsub#meta-data. */
function metadata(node: StoredNode): Element {
  const owners = Object.entries(node.affiliations).filter(([, affiliation]) => affiliation === 'owner').map(([jid]) => jid);
  const publishers = Object.entries(node.affiliations).filter(([, affiliation]) => affiliation === 'publisher').map(([jid]) => jid);
  const field = (name: string, type: string | undefined, values: string[]) =>
    xml('field', { var: name, type }, ...values.map((value) => xml('value', {}, value)));
  return xml('x', { xmlns: NS.dataForms, type: 'result' },
    field('FORM_TYPE', 'hidden', [`${NS.pubsub}#meta-data`]),
    field('pubsub#title', 'text-single', [node.config.title]),
    field('pubsub#description', 'text-single', [node.config.description]),
    field('pubsub#type', 'text-single', [node.config.type]),
    field('pubsub#access_model', 'list-single', [node.config.accessModel]),
    field('pubsub#publish_model', 'list-single', [node.config.publishModel]),
    field('pubsub#owner', 'jid-multi', owners),
    field('pubsub#publisher', 'jid-multi', publishers),
    field('pubsub#num_subscribers', 'text-single', [String(Object.keys(node.subscriptions).length)]),
    field('pubsub#creation_date', 'text-single', [new Date(node.createdAt).toISOString()]));
}
