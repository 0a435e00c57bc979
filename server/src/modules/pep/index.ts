// XEP-0163 Personal Eventing Protocol: every account is a XEP-0060 pubsub service (pubsub/, the
// generic engine) at its bare JID — nodes created on first publish, access by roster relation,
// notifications to the resources whose caps ask for them (modules/caps/ fills the interests), and
// the last items to a resource that newly asks (§4.3.2). What rides on it: avatar-bridge.ts
// (XEP-0398), bookmarks.ts (XEP-0402 with XEP-0411 and XEP-0049).
import { JID, NS, parseJid, xml, type Element } from '@parley/shared';
import { defineModule, type IqRequest } from '../../core/module-api.ts';
import { pepOptions, type PepContext, type PepServices } from './options.ts';
import { entityRequest, ownerRequest, type PubSubAnswer } from '../../pubsub/protocol.ts';
import { PubSubService, type PubSubEvent, type PubSubLimits } from '../../pubsub/service.ts';
import { PepBroadcaster, lastItemMessage, sendLastItems } from './notifications.ts';
import { offerBookmark, readBookmarks, registerPrivateStorage } from './private-storage.ts';
import { PepPolicy } from './policy.ts';
import type { RosterItem } from '../../storage/index.ts';
import type { DiscoItem } from '../../core/disco.ts';
import { AVATAR_NODES, AvatarBridge, NS_VCARD_CONVERSION } from './avatar-bridge.ts';

/** XEP-0060 §10 features a PEP service has (XEP-0163 §5 requires auto-create, auto-subscribe, filtered-notifications). */
const PUBSUB_FEATURES = [
  'access-open', 'access-presence', 'access-roster', 'access-whitelist', 'auto-create', 'auto-subscribe', 'config-node',
  'create-and-configure', 'create-nodes', 'delete-items', 'delete-nodes', 'filtered-notifications', 'item-ids',
  'last-published', 'manage-subscriptions', 'modify-affiliations', 'multi-items', 'persistent-items', 'presence-notifications',
  'presence-subscribe', 'publish', 'publish-options', 'purge-nodes', 'retract-items', 'retrieve-affiliations',
  'retrieve-default', 'retrieve-items', 'retrieve-subscriptions', 'subscribe',
].map((feature) => `${NS.pubsub}#${feature}`);

export const pepModule = defineModule({
  name: 'pep',
  implements: [
    { spec: 'XEP-0060', version: '1.26.0', status: 'partial', note: 'as PEP needs it: no collections, no subscription options, no authorize access' },
    { spec: 'XEP-0163', version: '1.2.2', status: 'complete' },
    { spec: 'XEP-0223', version: '1.1.1', status: 'complete', note: 'publish-options preconditions' },
    { spec: 'XEP-0084', version: '1.1.4', status: 'complete', note: 'stored and notified as any PEP node' },
    { spec: 'XEP-0049', version: '1.2', status: 'complete' },
    { spec: 'XEP-0048', version: '1.2', status: 'complete', note: 'in private storage, kept in the XEP-0402 node (XEP-0411)' },
    { spec: 'XEP-0402', version: '1.1.4', status: 'complete', note: 'bookmarks-changed on the hub for MUC autojoin' },
    { spec: 'XEP-0411', version: '1.0.0', status: 'complete' },
    { spec: 'XEP-0398', version: '0.2.1', status: 'complete', note: 'a directory photo is not replaced through PEP (not-allowed)' },
  ],
  options: pepOptions,
  configuredOptions: (config) => ({ maxPayloadBytes: config.limits.maxStanzaSize, ...config.modules.pep as object }),
  dependencies: ['caps'],
  register(ctx) {
    const { pubsub, storage } = ctx.services;
    const limits: PubSubLimits = ctx.options;
    // contacts' resources on other servers that told an owner their caps (shared by every node: a store)
    const remote = ctx.store<string[]>('remote-resources');
    // XEP-0402: whoever acts on bookmarks (MUC autojoin) hears of every change
    const afterEvent = async (event: PubSubEvent) => {
      if (event.node.node !== NS.bookmarks) return;
      await ctx.emit('bookmarks-changed', { jid: event.node.service, bookmarks: await readBookmarks(ctx, event.node.service) });
    };
    // who hears of an owner's events, read once from the roster and kept until the roster changes
    const audiences = ctx.cache<RosterItem[]>('audience');
    ctx.on('roster-changed', ({ owner }) => audiences.delete(owner));
    const audience = async (owner: string): Promise<readonly RosterItem[]> => {
      let contacts = audiences.get(owner);
      if (!contacts) {
        contacts = (await storage.roster.get(owner)).items.filter((item) => item.subscription === 'from' || item.subscription === 'both');
        audiences.set(owner, contacts);
      }
      return contacts;
    };
    const services: PepServices = (owner) => new PubSubService(owner.bare, pubsub, new PepPolicy(owner, storage.roster),
      new PepBroadcaster(ctx, owner, remote, audience, afterEvent), limits);
    registerPrivateStorage(ctx, services);
    // a room bookmark given by the server (a directory group's room: muc/group-rooms.ts)
    ctx.on('bookmark-offered', async ({ jid, bookmark }) => {
      try {
        await offerBookmark(services, parseJid(jid).toBare(), bookmark);
      } catch (error) {
        ctx.log.warn({ err: error, jid, room: bookmark.jid }, 'could not add the offered bookmark');
      }
    });

    ctx.features.accountIdentity({ category: 'pubsub', type: 'pep' });
    for (const feature of [NS.pubsub, NS.pubsubOwner, NS.pubsubPublishOptions, ...PUBSUB_FEATURES]) ctx.features.account(feature);
    // clients look for pubsub at the server before they use PEP (Smack's OMEMO, Converse.js)
    ctx.features.server(NS.pubsub);
    // XEP-0373 §5: clients look for the whitelist model at the server before a secret key backup
    ctx.features.server(`${NS.pubsub}#access-whitelist`);

    const avatars = new AvatarBridge(ctx, services);
    ctx.features.account(NS_VCARD_CONVERSION);
    const answer = async (request: IqRequest, run: (service: PubSubService) => Promise<PubSubAnswer>): Promise<Element | null> => {
      const owner = request.to.toBare();
      const service = services(owner);
      // XEP-0398: an avatar publish by the owner becomes the vCard photo, unless the directory owns it
      const publish = request.iq.attrs.type === 'set' && request.payload.attrs.xmlns === NS.pubsub ? request.payload.getChild('publish') : undefined;
      const avatarNode = publish && AVATAR_NODES.has(publish.attrs.node ?? '') && request.from.bare === owner.bare ? publish.attrs.node! : null;
      if (avatarNode) await avatars.checkPublish(owner, avatarNode);
      const { result, lastItem } = await run(service);
      if (avatarNode) {
        const payload = publish!.getChild('item')?.children.find((node): node is Element => typeof node !== 'string') ?? null;
        await avatars.published(owner, avatarNode, payload);
      }
      // §6.1.7: the last item follows the subscription result
      if (lastItem) {
        setImmediate(() => void ctx.router.route(lastItemMessage(owner.bare, lastItem.to.full, lastItem.node, lastItem.item), owner, lastItem.to));
      }
      return result;
    };
    for (const type of ['get', 'set'] as const) {
      ctx.iq('account', type, { name: 'pubsub', xmlns: NS.pubsub }, (request) =>
        answer(request, (service) => entityRequest(service, request.from, type, request.payload)));
      ctx.iq('account', type, { name: 'pubsub', xmlns: NS.pubsubOwner }, (request) =>
        answer(request, (service) => ownerRequest(service, request.from, type, request.payload)));
    }

    // XEP-0060 §5.2: an account's disco#items lists the nodes the requester may read; §5.3: a
    // node's disco#info — a leaf, with its type — for those who may read it
    ctx.features.provider('account', {
      items: async ({ entity: owner, requester }) => {
        const service = services(owner);
        const visible: DiscoItem[] = [];
        for (const stored of await service.nodes()) {
          if (await service.mayRead(requester, stored)) visible.push({ jid: owner.bare, node: stored.node, name: stored.config.title || undefined });
        }
        return visible;
      },
      // a node's items are not listed through disco (XEP-0060 §5.5 is optional): an empty list
      nodeItems: () => [],
      nodeInfo: async ({ entity: owner, requester, node }) => {
        const service = services(owner);
        const stored = await pubsub.getNode(owner.bare, node);
        if (!stored || !(await service.mayRead(requester, stored))) return null;
        return {
          identities: [{ category: 'pubsub', type: 'leaf' }],
          features: [NS.pubsub],
          extensions: [xml('x', { xmlns: NS.dataForms, type: 'result' },
            xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${NS.pubsub}#meta-data`)),
            xml('field', { var: 'pubsub#type' }, xml('value', {}, stored.config.type)),
            xml('field', { var: 'pubsub#access_model' }, xml('value', {}, stored.config.accessModel)))],
        };
      },
    });

    // XEP-0398: a vCard photo (the user's or the address book's) shows as the XEP-0084 avatar
    const syncAvatar = (jid: string, removed: boolean) => avatars.syncFromVCard(jid, removed)
      .catch((err: unknown) => ctx.log.warn({ err, jid }, 'avatar conversion failed'));
    ctx.on('vcard-changed', ({ jid }) => syncAvatar(jid, true));
    ctx.on('avatar-changed', ({ jid }) => syncAvatar(jid, true));
    // a directory photo set before this server ran (or before PEP) shows once its owner logs in
    ctx.on('resource-bind', ({ session }) => void syncAvatar(session.jid.bare, false));

    // XEP-0163 §4.3.2: a resource whose caps newly ask for nodes gets their last items — its own
    // account's and its contacts' (the ones it receives presence from)
    ctx.on('caps/changed', async ({ jid, session, recipient, features, added }) => {
      if (session) {
        if (added.size === 0) return;
        await sendLastItems(ctx, services(jid.toBare()), jid, added);
        for (const item of (await storage.roster.get(jid.bare)).items) {
          if (item.subscription !== 'to' && item.subscription !== 'both') continue;
          await sendLastItems(ctx, services(new JID(...splitBare(item.jid))), jid, added);
        }
        return;
      }
      if (!recipient) return;
      // a contact's resource on another server: remembered for notifications, and told the last items
      const notify = [...features].filter((feature) => feature.endsWith('+notify'));
      if (notify.length) await remote.set(recipient.bare, jid.full, notify);
      else await remote.delete(recipient.bare, jid.full);
      await sendLastItems(ctx, services(recipient), jid, added);
    });
  },
});

function splitBare(bare: string): [string, string] {
  const at = bare.indexOf('@');
  return at === -1 ? ['', bare] : [bare.slice(0, at), bare.slice(at + 1)];
}
