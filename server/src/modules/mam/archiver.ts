// XEP-0313 §3 archiving: every one-to-one message with a body that a local user sends or receives
// goes into that user's archive (both sides of a local conversation), and the recipient's copy is
// stamped with its archive id (XEP-0359 <stanza-id by='user@domain'/>) before delivery.
// Runs as the first 'message/bare' and 'message/full' hook, so messages that end in offline
// storage are archived (and stamped) too.
import { Element, NS, serialize, xml, type JID } from '@parley/shared';
import type { Archive } from '../../archive/index.ts';
import type { ArchiveEntry } from '../../archive/types.ts';
import type { ModuleContext } from '../../core/module-api.ts';
import type { PipelineHandler } from '../../core/events.ts';
import { markUncommittedWrite, type Origin } from '../../core/origin.ts';
import type { StanzaEvent } from '../../core/server-events.ts';
import { SENDER_ARCHIVE_ID } from '../../core/stanza-marks.ts';
import type { ArchivingPolicy } from './preferences.ts';
import { retractedId, type RetractionScope } from '../../archive/retraction.ts';

/** Before every other message hook (carbons, blocking… should see the stamped message). */
export const ARCHIVER_PRIORITY = 1000;

/**
 * XEP-0313 §5.1.1 and XEP-0334: chat and normal messages with a body, unless told not to store
 * them, and bodiless ones that ask to be stored (§4.4 <store/>: XEP-0444 reactions, XEP-0333
 * markers), so that history shows them.
 */
export function isArchivable(stanza: Element): boolean {
  const type = stanza.attrs.type;
  if (type !== undefined && type !== 'chat' && type !== 'normal') return false;
  let body = false;
  let store = false;
  for (const node of stanza.children) {
    if (typeof node === 'string') continue;
    const xmlns = node.attrs.xmlns;
    if (node.name === 'body' && (xmlns === undefined || xmlns === NS.client)) body ||= node.getText().trim() !== '';
    else if (xmlns === NS.hints && (node.name === 'no-store' || node.name === 'no-permanent-store')) return false;
    else if (xmlns === NS.hints && node.name === 'store') store = true;
  }
  return body || store;
}

/** The bodies' text (every xml:lang), what full-text search sees. */
export function bodyText(stanza: Element): string {
  const parts: string[] = [];
  for (const node of stanza.children) {
    if (typeof node !== 'string' && node.name === 'body' && (node.attrs.xmlns === undefined || node.attrs.xmlns === NS.client)) {
      parts.push(node.getText());
    }
  }
  return parts.join('\n');
}

/** XEP-0359 §5: a stanza-id claiming to come from the recipient's archive was not put there by us. */
function removeStanzaIds(stanza: Element, by: string): void {
  const children = stanza.children;
  for (let i = children.length - 1; i >= 0; i--) {
    const node = children[i]!;
    if (typeof node !== 'string' && node.name === 'stanza-id' && node.attrs.xmlns === NS.stanzaIds && node.attrs.by === by) {
      children.splice(i, 1);
    }
  }
}

/** The message as archived: jabber:client namespace, no stanza-ids (the result carries the id). */
function archivedXml(stanza: Element): string {
  const copy = new Element('message', { ...stanza.attrs, xmlns: NS.client });
  for (const node of stanza.children) {
    if (typeof node !== 'string' && node.name === 'stanza-id' && node.attrs.xmlns === NS.stanzaIds) continue;
    copy.children.push(node);
  }
  return serialize(copy);
}

interface Sides {
  /** Archive in the sender's archive (a local user sent it). */
  outgoing: boolean;
  /** Archive in the recipient's archive. */
  incoming: boolean;
}

export function registerArchiver(ctx: ModuleContext<undefined>, archive: Archive, policy: ArchivingPolicy): void {
  const rerouted = new WeakSet<Element>();

  const archiveMessage = (stanza: Element, from: JID, to: JID, origin: Origin, sides: Sides): void => {
    if (!sides.outgoing && !sides.incoming) return;
    const text = archivedXml(stanza);
    const body = bodyText(stanza);
    const entries: ArchiveEntry[] = [];
    // One position for the message in both archives (each entry has its own id): the embedded
    // store keeps the two entries in one row (archive/sqlite/rows.ts).
    const seq = archive.ids.nextSeq();
    if (sides.outgoing) {
      const id = archive.ids.idFor(seq);
      entries.push({ seq, id, owner: from.bare, peer: to.bare, peerResource: to.resource, outgoing: true, body, stanza: text });
      SENDER_ARCHIVE_ID.set(stanza, id); // for XEP-0280 sent carbons
    }
    if (sides.incoming) {
      const id = archive.ids.idFor(seq);
      entries.push({ seq, id, owner: to.bare, peer: from.bare, peerResource: from.resource, outgoing: false, body, stanza: text });
      const stamp = xml('stanza-id', { xmlns: NS.stanzaIds, id, by: to.bare });
      stamp.parent = stanza;
      stanza.children.push(stamp);
    }
    // Until the entries are committed (storage/group-commit.ts), the sender's stream shows nothing
    // written after this message (an iq result, a later stanza…).
    markUncommittedWrite(origin);
    archive.store.append(entries);
    const target = retractedId(stanza);
    if (target !== undefined) applyRetraction(target, stanza, from, to, sides);
  };

  /**
   * XEP-0424 §5: the archived retraction turns the author's message into a tombstone, looked for
   * in the author's archive, else in the recipient's (one row holds both: retraction.ts).
   */
  const applyRetraction = (target: string, stanza: Element, from: JID, to: JID, sides: Sides): void => {
    const scopes: RetractionScope[] = [];
    if (sides.outgoing) scopes.push({ owner: from.bare, peer: to.bare, outgoing: true });
    if (sides.incoming) scopes.push({ owner: to.bare, peer: from.bare, outgoing: false });
    archive.store.retract({
      target, scopes, author: from.bare, retractionId: stanza.attrs.id, stamp: Date.now(), lookback: archive.config.retractionLookback,
    }).catch((error: unknown) => ctx.log.error({ err: error, target }, 'applying a retraction to the archive failed'));
  };

  /** `localRecipient` false: a message leaving for another server (message/remote), archived for its sender only. */
  const archiving = (localRecipient: boolean): PipelineHandler<StanzaEvent> => ({ stanza, from, to, origin }) => {
    if (rerouted.has(stanza)) return false;
    if (localRecipient) removeStanzaIds(stanza, to.bare);
    if (!isArchivable(stanza)) return false;
    const sender = isLocalUser(from, origin);
    const self = sender && from.bare === to.bare;
    // A message to oneself is archived once (XEP-0313 §4.1.1 'with' = own JID finds it).
    const outgoing = sender ? policy.archives(from.bare, to) : false;
    const incoming = self || !localRecipient ? false : policy.archives(to.bare, from);
    // The recipient must exist; without a session that takes a lookup (the offline module then bounces).
    const exists: boolean | Promise<boolean> = incoming === false || ctx.sessions.hasSessions(to.bare)
      || ctx.services.storage.accounts.get(to.bare).then((account) => account !== null);
    if (typeof outgoing === 'boolean' && typeof incoming === 'boolean' && typeof exists === 'boolean') {
      archiveMessage(stanza, from, to, origin, { outgoing, incoming: incoming && exists });
      return false;
    }
    // Some answer needs storage: take the stanza, decide, then route it on (this hook lets it pass then).
    return (async () => {
      try {
        const [out, inc, known] = await Promise.all([outgoing, incoming, exists]);
        archiveMessage(stanza, from, to, origin, { outgoing: out, incoming: inc && known });
      } catch (error) {
        ctx.log.error({ err: error }, 'archiving a message failed; delivering it unarchived');
      }
      rerouted.add(stanza);
      await ctx.router.route(stanza, from, to, origin);
    })();
  };
  const hook = archiving(true);
  ctx.hook('message/bare', hook, ARCHIVER_PRIORITY);
  ctx.hook('message/full', hook, ARCHIVER_PRIORITY);
  // a local user's message to a contact on another server: the sender's copy (federated history, XEP-0313 §3)
  ctx.hook('message/remote', archiving(false), ARCHIVER_PRIORITY);
}

/** Sent by a user of this server: a local client session (its JID is an account of a served domain). */
function isLocalUser(from: JID, origin: Origin): boolean {
  return origin.kind === 'client' && from.local !== '';
}
