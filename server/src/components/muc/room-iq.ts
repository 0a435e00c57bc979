// The iqs a room answers (to room@service): disco#info and #items (§6.4, §6.5), muc#admin (§8, §9),
// muc#owner (§10), registration (§7.10), XEP-0425 moderation and XEP-0313 queries of the room's
// archive (who could enter the room may read it: XEP-0313 §8.1.2 leaves it to the service).
import { NS, StanzaError, parseStanza, type Element, type JID } from '@parley/shared';
import { metadata, runQuery } from '../../archive/query/query.ts';
import { queryFormTemplate } from '../../archive/query/form.ts';
import { atLeast } from './affiliations.ts';
import { MUC_ADMIN, MUC_OWNER } from './occupants.ts';
import { adminGet, adminSet } from './room-admin.ts';
import { MODERATE, REGISTER, roomInfo, roomItems } from './room-info.ts';
import { moderate, ownerGet, ownerSet, registerGet, registerSet } from './room-owner.ts';
import type { Room } from './room.ts';
import { vcardGet, vcardSet } from './room-avatar.ts';

type Answer = Element | null | 'handled';

function payloadOf(iq: Element): Element {
  const payloads = iq.children.filter((node): node is Element => typeof node !== 'string');
  if (payloads.length !== 1) throw new StanzaError('bad-request', 'an iq has one payload (RFC 6120 §8.2.3)');
  return payloads[0]!;
}

/** A locked room exists for its owner only (§10.1.1). */
function requireVisible(room: Room, from: JID): void {
  if (room.destroyed || (room.locked && room.affiliationOf(from.bare) !== 'owner')) throw new StanzaError('item-not-found', 'no such room');
}

function requireArchiveReader(room: Room, from: JID): void {
  const affiliation = room.affiliationOf(from.bare);
  if (affiliation === 'outcast') throw new StanzaError('forbidden', 'you are banned from this room');
  if (room.config.membersOnly && !atLeast(affiliation, 'member') && !room.bySession.has(from.full)) {
    throw new StanzaError('forbidden', 'the archive of a members-only room is for its members');
  }
}

export async function roomIq(room: Room, iq: Element, from: JID): Promise<Answer> {
  const type = iq.attrs.type;
  if (type !== 'get' && type !== 'set') throw new StanzaError('bad-request', 'an iq is of type get or set');
  if (!iq.attrs.id) throw new StanzaError('bad-request', 'an iq needs an id');
  const payload = payloadOf(iq);
  const xmlns = payload.attrs.xmlns;
  requireVisible(room, from);
  const get = type === 'get';
  switch (xmlns) {
    case NS.discoInfo:
      if (!get || payload.name !== 'query') break;
      return roomInfo(room, from, payload.attrs.node);
    case NS.discoItems:
      if (!get || payload.name !== 'query') break;
      return roomItems(room, from);
    case MUC_ADMIN:
      if (payload.name !== 'query') break;
      if (get) return adminGet(room, payload, from);
      adminSet(room, payload, from);
      return null;
    case MUC_OWNER: {
      if (payload.name !== 'query') break;
      if (get) return ownerGet(room, from);
      ownerSet(room, payload, from);
      return null;
    }
    case REGISTER:
      if (payload.name !== 'query') break;
      if (get) return registerGet(room, from);
      registerSet(room, payload, from);
      return null;
    case MODERATE:
      if (get || payload.name !== 'moderate') break;
      await moderate(room, payload, from);
      return null;
    case NS.ping:
      if (!get || payload.name !== 'ping') break;
      return null;
    case NS.mam:
      return mam(room, iq, payload, from);
    case NS.vcard:
      if (payload.name !== 'vCard') break;
      if (get) return vcardGet(room);
      await vcardSet(room, payload, from);
      return null;
    default:
      break;
  }
  throw new StanzaError('service-unavailable');
}

async function mam(room: Room, iq: Element, payload: Element, from: JID): Promise<Answer> {
  const archive = room.services.archive;
  if (!archive) throw new StanzaError('service-unavailable', 'this server keeps no archive');
  requireArchiveReader(room, from);
  const type = iq.attrs.type;
  if (payload.name === 'query' && type === 'get') return queryFormTemplate();
  if (payload.name === 'metadata' && type === 'get') return metadata(archive, room.jid);
  if (payload.name !== 'query' || type !== 'set') throw new StanzaError('bad-request', `<${payload.name.slice(0, 64)}/> is not a request in ${NS.mam}`);
  const session = from.full;
  const router = room.services.router;
  const fin = await runQuery(archive, iq, from, room.jid, (xml) => {
    if (router.deliverSerialized(session, xml)) return;
    // an occupant of another server: the result goes through the router like any stanza
    const result = parseStanza(xml);
    if (result) void router.route(result, room.jid, from, room.services.origin);
  });
  return fin;
}
