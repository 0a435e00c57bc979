// XEP-0191 blocking command (with XEP-0377 spam reports): an account's block list, kept in its own
// store (storage/sqlite/block-lists.ts) and cached per account (core/cache.ts: other nodes drop
// their copy when it changes). Stanzas between an account and a JID it blocks go nowhere (§3.5,
// §3.6): presence is dropped, a blocked sender's message or iq request is answered as if the
// account did not exist (service-unavailable: nothing tells the sender it is blocked), the
// account's own message or iq to a blocked JID is refused with not-acceptable + <blocked/>. Blocking
// a contact sends it unavailable presence; changes are pushed to the resources that asked for the
// list (§3.3, §3.4).
import { JID, NS, StanzaError, tryParseJid, xml, type Element } from '@parley/shared';
import { defineModule, type IqRequest, type ModuleContext } from '../core/module-api.ts';
import type { Cache } from '../core/cache.ts';
import type { StanzaEvent } from '../core/server-events.ts';

const INTEREST = 'blocklist';
/** Before the archiver (1000): a blocked stanza is neither archived nor stored offline. */
const BLOCKING_PRIORITY = 2000;
/** XEP-0377 §4: what a report may say. */
const REPORT_REASONS = new Set(['urn:xmpp:reporting:spam', 'urn:xmpp:reporting:abuse']);

type Lists = Cache<ReadonlySet<string>>;
type BlockingContext = ModuleContext<undefined>;

const NOTHING_BLOCKED: ReadonlySet<string> = new Set();

export const blockingModule = defineModule({
  name: 'blocking',
  implements: [
    { spec: 'XEP-0191', version: '1.3', status: 'complete', note: 'an account\'s own stanzas to a blocked remote JID are checked once federation routes outgoing stanzas through the same hooks' },
    { spec: 'XEP-0377', version: '0.3', status: 'partial', note: 'reports in <block/> are logged for the admin' },
  ],
  register(ctx) {
    ctx.features.server(NS.blocking);
    ctx.features.server(NS.reporting);
    const lists: Lists = ctx.cache('lists');
    const store = ctx.services.storage.blockLists;
    const listOf = (owner: string): ReadonlySet<string> | Promise<ReadonlySet<string>> => lists.get(owner) ?? store.list(owner).then((jids) => {
      const list = jids.length ? new Set(jids) : NOTHING_BLOCKED;
      lists.set(owner, list);
      return list;
    });

    ctx.iq('account', 'get', { name: 'blocklist', xmlns: NS.blocking }, async ({ from, to, origin }) => {
      ownAccount(from, to);
      if (origin.kind === 'client') origin.addInterest(INTEREST);
      const list = await listOf(from.bare);
      return xml('blocklist', { xmlns: NS.blocking }, ...[...list].map((jid) => xml('item', { jid })));
    });
    ctx.iq('account', 'set', { name: 'block', xmlns: NS.blocking }, async (request) => {
      ownAccount(request.from, request.to);
      const items = readItems(request.payload, false);
      logReports(ctx, request, items);
      const owner = request.from.bare;
      const before = await listOf(owner);
      // §3.3: the blocked contacts see the account go unavailable (while nothing is blocked yet)
      for (const jid of items.jids) {
        if (before.has(jid)) continue;
        const contact = tryParseJid(jid);
        if (contact) await ctx.emit('presence/unavailable-to', { owner: request.from.toBare(), contact });
      }
      await store.add(owner, items.jids);
      lists.delete(owner);
      push(ctx, owner, xml('block', { xmlns: NS.blocking }, ...items.jids.map((jid) => xml('item', { jid }))));
    });
    ctx.iq('account', 'set', { name: 'unblock', xmlns: NS.blocking }, async (request) => {
      ownAccount(request.from, request.to);
      const items = readItems(request.payload, true);
      const owner = request.from.bare;
      // §3.4: an empty <unblock/> unblocks everyone
      if (items.jids.length === 0) await store.clear(owner);
      else await store.remove(owner, items.jids);
      lists.delete(owner);
      push(ctx, owner, xml('unblock', { xmlns: NS.blocking }, ...items.jids.map((jid) => xml('item', { jid }))));
      // the contacts may see the account's presence again
      await ctx.emit('presence/rebroadcast', { jid: owner });
    });

    const guard = (event: StanzaEvent) => enforce(ctx, listOf, event);
    for (const pipeline of ['message/bare', 'message/full', 'presence/bare', 'presence/full', 'iq/bare', 'iq/full'] as const) {
      ctx.hook(pipeline, guard, BLOCKING_PRIORITY);
    }
    // the account's own list is read at login, so that its outgoing stanzas are checked without waiting
    ctx.on('resource-bind', ({ session }) => {
      const pending = listOf(session.jid.bare);
      if (pending instanceof Promise) pending.catch((error: unknown) => ctx.log.error({ err: error }, 'reading a block list failed'));
    });
  },
});

/** §3.1: a client manages its own account's list. */
function ownAccount(from: JID, to: JID): void {
  if (from.bare !== to.bare) throw new StanzaError('not-allowed', "another account's block list");
}

interface Items {
  jids: string[];
  reports: Array<{ jid: string; reason: string; text: string | null }>;
}

/** §3.2, §3.3: <item jid/> children, canonical JIDs; none is bad-request for <block/>, a bad JID is jid-malformed. */
function readItems(payload: Element, mayBeEmpty: boolean): Items {
  const items: Items = { jids: [], reports: [] };
  for (const child of payload.getChildElements()) {
    if (child.name !== 'item') continue;
    const jid = tryParseJid(child.attrs.jid ?? '');
    if (!jid) throw new StanzaError('jid-malformed', `not a JID: ${String(child.attrs.jid ?? '').slice(0, 100)}`);
    const canonical = jid.local === '' && jid.resource === '' ? jid.domain : jid.full;
    if (!items.jids.includes(canonical)) items.jids.push(canonical);
    const report = child.getChild('report', NS.reporting);
    if (report) {
      const reason = report.attrs.reason ?? '';
      if (!REPORT_REASONS.has(reason)) throw new StanzaError('bad-request', 'a report needs a reason of urn:xmpp:reporting:spam or :abuse');
      items.reports.push({ jid: canonical, reason, text: report.getChildText('text') ?? null });
    }
  }
  if (items.jids.length === 0 && !mayBeEmpty) throw new StanzaError('bad-request', '<block/> needs at least one <item/>');
  return items;
}

/** XEP-0377 §4: a report travels with the block; it is the admin's to act on. */
function logReports(ctx: BlockingContext, request: IqRequest, items: Items): void {
  for (const report of items.reports) {
    ctx.log.warn({ event: 'abuse-report', reporter: request.from.bare, reported: report.jid, reason: report.reason, text: report.text?.slice(0, 1000) },
      'a user reported a JID');
  }
}

/** §3.3, §3.4: the change, as an iq set, to the account's resources that asked for the list. */
function push(ctx: BlockingContext, owner: string, change: Element): void {
  let n = 0;
  for (const entry of ctx.sessions.resources(owner)) {
    if (!entry.interests.has(INTEREST)) continue;
    const iq = xml('iq', { xmlns: NS.client, type: 'set', id: `block-push-${Date.now().toString(36)}-${n++}`, from: owner, to: entry.jid.full }, change);
    void ctx.router.route(iq, entry.jid.toBare(), entry.jid);
  }
}

/** A blocklist item matches a JID the way privacy list items do (XEP-0016 §2.1): full, bare, domain/resource, domain. */
function matches(list: ReadonlySet<string>, jid: JID): boolean {
  if (list.size === 0) return false;
  return list.has(jid.full) || list.has(jid.bare) || list.has(jid.domain)
    || (jid.resource !== '' && list.has(`${jid.domain}/${jid.resource}`));
}

type ListOf = (owner: string) => ReadonlySet<string> | Promise<ReadonlySet<string>>;

/**
 * A stanza between `from` and a local account `to`: dropped or answered when either blocks the
 * other. Takes the stanza (true, or a Promise when a list must be read first: then it is routed
 * on once allowed) or lets it pass (false).
 */
function enforce(ctx: BlockingContext, listOf: ListOf, event: StanzaEvent): boolean | Promise<void> {
  const { stanza, from, to, origin } = event;
  if (from.bare === to.bare || stanza.attrs.type === 'error') return false;
  // the recipient's list, and the sender's when the sender is an account of this server
  const senderIsLocal = origin.kind === 'client' || (origin.kind === 'server' && from.local !== '');
  const recipients = listOf(to.bare);
  const senders = senderIsLocal ? listOf(from.bare) : NOTHING_BLOCKED;
  if (!(recipients instanceof Promise) && !(senders instanceof Promise)) return decide(ctx, event, recipients, senders);
  return (async () => {
    const [recipientList, senderList] = await Promise.all([recipients, senders]);
    if (decide(ctx, event, recipientList, senderList) === false) await ctx.router.route(stanza, from, to, origin);
  })();
}

function decide(ctx: BlockingContext, { stanza, from, to, origin }: StanzaEvent, recipients: ReadonlySet<string>,
  senders: ReadonlySet<string>): boolean {
  const type = stanza.attrs.type;
  if (matches(recipients, from)) {
    // §3.5: as for an account that does not exist; presence and iq results are dropped
    if (stanza.name === 'message' || (stanza.name === 'iq' && (type === 'get' || type === 'set'))) {
      void ctx.router.bounce(stanza, new StanzaError('service-unavailable'), origin);
    }
    return true;
  }
  if (matches(senders, to)) {
    // §3.6: the account's own stanza to a JID it blocks
    if (stanza.name === 'message' || (stanza.name === 'iq' && (type === 'get' || type === 'set'))) {
      void ctx.router.bounce(stanza, new StanzaError('not-acceptable', 'you block this JID', undefined, () => xml('blocked', { xmlns: NS.blockingErrors })), origin);
    }
    return true;
  }
  return false;
}
