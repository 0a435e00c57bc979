// XEP-0280 message carbons (urn:xmpp:carbons:2): a resource that enabled them gets a copy of every
// eligible message its account receives on another resource (<received/>) and sends from another
// resource (<sent/>), so that every device shows the whole conversation. The copies carry the
// archive ids (XEP-0359 stanza-id): the received one inside the forwarded message, the sent one
// added for the sender's own archive. Enabled resources are marked in the session table
// ('carbons' interest), so any node can see who wants copies.
import { Element, NS, StanzaError, serialize, xml, type JID } from '@parley/shared';
import { defineModule, type ModuleContext } from '../core/module-api.ts';
import type { SessionEntry } from '../core/session-table.ts';
import type { StanzaEvent } from '../core/server-events.ts';
import { SENDER_ARCHIVE_ID } from '../core/stanza-marks.ts';

const INTEREST = 'carbons';
/** After the archiver (priority 1000) has stamped the message, before delivery. */
const CARBONS_PRIORITY = 500;

/** Payloads that make a bodiless message part of an IM conversation (§6): chat states, receipts, markers. */
const IM_PAYLOADS = new Set([NS.chatStates, NS.receipts, 'urn:xmpp:chat-markers:0']);

export const carbonsModule = defineModule({
  name: 'carbons',
  implements: [{ spec: 'XEP-0280', version: '1.0.1', status: 'complete', note: 'received and sent copies with the owner\'s archive ids; <private/> and XEP-0334 <no-copy/>' }],
  register(ctx) {
    ctx.features.server(NS.carbons);
    for (const name of ['enable', 'disable'] as const) {
      ctx.iq('account', 'set', { name, xmlns: NS.carbons }, ({ from, to, origin }) => {
        // §4: a client enables carbons for itself, with no 'to' or its own bare JID
        if (origin.kind !== 'client' || to.bare !== from.bare) throw new StanzaError('not-allowed', 'carbons are enabled by the resource itself');
        if (name === 'enable') origin.addInterest(INTEREST);
        else origin.removeInterest(INTEREST);
      });
    }
    // XEP-0386 §3.2 (and XEP-0280 §4): carbons enabled inside a Bind 2 <bind/>
    ctx.bind2Inline({
      var: NS.carbons,
      enable: (requests, { session }) => {
        if (requests.some((element) => element.name === 'enable')) session.addInterest(INTEREST);
      },
    });
    const received = (event: StanzaEvent) => {
      copyReceived(ctx, event);
      return false;
    };
    ctx.hook('message/bare', received, CARBONS_PRIORITY);
    ctx.hook('message/full', received, CARBONS_PRIORITY);
    ctx.on('message/sent', ({ session, stanza, to }) => copySent(ctx, session.jid, session.id, stanza, to));
  },
});

/** §6: what is copied; §7 and XEP-0334: not what says <private/> or <no-copy/>, nor carbons themselves. */
function eligible(stanza: Element): boolean {
  const type = stanza.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal' && type !== 'error') return false;
  let body = false;
  let im = false;
  for (const node of stanza.children) {
    if (typeof node === 'string') continue;
    const xmlns = node.attrs.xmlns;
    if (xmlns === NS.carbons) return false; // <private/>, or a carbon itself (<received/>, <sent/>)
    if (xmlns === NS.hints && node.name === 'no-copy') return false;
    if (node.name === 'body' && (xmlns === undefined || xmlns === NS.client)) body = true;
    else if (xmlns !== undefined && IM_PAYLOADS.has(xmlns)) im = true;
  }
  return type === 'chat' || body || im || type === 'error';
}

/** Whether any resource of the account asked for carbons (checked first: most messages need no copy, and no allocation). */
function anyInterested(ctx: ModuleContext<undefined>, bare: string): boolean {
  for (const entry of ctx.sessions.resources(bare)) if (entry.interests.has(INTEREST)) return true;
  return false;
}

/** The resources of an account that asked for carbons, except `skip`. */
function interested(ctx: ModuleContext<undefined>, bare: string, skip: (entry: SessionEntry) => boolean): SessionEntry[] {
  const entries: SessionEntry[] = [];
  for (const entry of ctx.sessions.resources(bare)) if (entry.interests.has(INTEREST) && !skip(entry)) entries.push(entry);
  return entries;
}

/**
 * The resources that get the message itself: the full JID's own, or for a bare JID (and a full JID
 * no longer bound) those of highest non-negative priority (RFC 6121 §8.5.2.1.1).
 */
function originalRecipients(ctx: ModuleContext<undefined>, to: JID): Set<string> {
  const direct = to.resource !== '' ? ctx.sessions.get(to.full) : undefined;
  if (direct) return new Set([direct.sessionId]);
  let best = -1;
  const chosen = new Set<string>();
  for (const entry of ctx.sessions.resources(to.bare)) {
    if (!entry.available || entry.priority < 0 || entry.priority < best) continue;
    if (entry.priority > best) chosen.clear();
    best = entry.priority;
    chosen.add(entry.sessionId);
  }
  return chosen;
}

function copyReceived(ctx: ModuleContext<undefined>, { stanza, to }: StanzaEvent): void {
  if (!anyInterested(ctx, to.bare) || !eligible(stanza)) return;
  const recipients = originalRecipients(ctx, to);
  const targets = interested(ctx, to.bare, (entry) => recipients.has(entry.sessionId));
  if (targets.length) send(ctx, targets, to.bare, 'received', stanza, null);
}

function copySent(ctx: ModuleContext<undefined>, sender: JID, senderSession: string, stanza: Element, to: JID): void {
  if (!anyInterested(ctx, sender.bare) || !eligible(stanza)) return;
  // a message to one's own account reaches its resources anyway
  const targets = interested(ctx, sender.bare, (entry) => entry.sessionId === senderSession || (to.bare === sender.bare && to.resource === entry.jid.resource));
  if (!targets.length) return;
  const archiveId = SENDER_ARCHIVE_ID.get(stanza);
  send(ctx, targets, sender.bare, 'sent', stanza, archiveId ? xml('stanza-id', { xmlns: NS.stanzaIds, id: archiveId, by: sender.bare }) : null);
}

/** §6/§7: <message from=bare to=resource><received|sent><forwarded><message…/></forwarded></…></message>, serialized once. */
function send(ctx: ModuleContext<undefined>, targets: SessionEntry[], owner: string, direction: 'received' | 'sent',
  stanza: Element, stamp: Element | null): void {
  // a shallow copy: the message's own children (serialized, never changed) but another archive's
  // ids (XEP-0359: the recipient's stamp on a sent message is not the owner's), plus the owner's stamp
  const original = new Element('message', { ...stanza.attrs, xmlns: NS.client });
  original.children = stanza.children.filter((node) => typeof node === 'string' || node.name !== 'stanza-id'
    || node.attrs.xmlns !== NS.stanzaIds || node.attrs.by === owner);
  if (stamp) original.children.push(stamp);
  const forwarded = xml(direction, { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward }, original));
  const type = stanza.attrs.type;
  for (const entry of targets) {
    const carbon = xml('message', { xmlns: NS.client, from: owner, to: entry.jid.full, type }, forwarded);
    ctx.router.toEntry(entry, serialize(carbon));
    forwarded.parent = null;
  }
}
