// XEP-0045 §6.4 room information (disco#info with the muc#roominfo form, §15.5.4), §6.5 room items,
// §7.12 the user's registered nickname (node x-roomuser-item), and the room's features.
import { NS, StanzaError, xml, type Element, type JID } from '@parley/shared';
import { bool, formElement, type FieldDefinition } from './data-forms.ts';
import { MUC, OCCUPANT_ID } from './occupants.ts';
import type { Room } from './room.ts';
import { MUC_REQUEST } from './room-voice.ts';

export const ROOMINFO = 'http://jabber.org/protocol/muc#roominfo';
export const MODERATE = 'urn:xmpp:message-moderate:1';
export const RETRACT = 'urn:xmpp:message-retract:1';
export const REGISTER = 'jabber:iq:register';

export function roomFeatures(room: Room): string[] {
  const c = room.config;
  const features = [
    NS.discoInfo, NS.discoItems, MUC, 'http://jabber.org/protocol/muc#stable_id', 'http://jabber.org/protocol/muc#self-ping-optimization',
    OCCUPANT_ID, NS.stanzaIds, REGISTER, MODERATE, NS.vcard, MUC_REQUEST,
    c.public ? 'muc_public' : 'muc_hidden',
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
    c.passwordProtected ? 'muc_passwordprotected' : 'muc_unsecured',
  ];
  // XEP-0424 §2, §5: retractions kept in the room's archive, the messages they name made tombstones
  if (room.services.archive && c.enableLogging) features.push(NS.mam, NS.mamExtended, NS.fulltext, RETRACT, `${RETRACT}#tombstone`);
  return features.sort();
}

export function roomInfo(room: Room, from: JID, node: string | undefined): Element {
  if (node === 'x-roomuser-item') {
    const nick = room.affiliations.get(from.bare)?.nick;
    return xml('query', { xmlns: NS.discoInfo, node }, nick ? xml('identity', { category: 'conference', type: 'text', name: nick }) : null);
  }
  if (node !== undefined) throw new StanzaError('item-not-found');
  const c = room.config;
  const fields: FieldDefinition[] = [
    { var: 'muc#roomconfig_roomname', type: 'text-single', label: 'Name', values: [c.name] },
    { var: 'muc#roominfo_description', type: 'text-single', label: 'Description', values: [c.description] },
    { var: 'muc#roominfo_occupants', type: 'text-single', label: 'Number of occupants', values: [String(room.occupantCount)] },
    { var: 'muc#roominfo_subject', type: 'text-single', label: 'Subject', values: [room.subject?.text ?? ''] },
    { var: 'muc#roominfo_subjectmod', type: 'boolean', label: 'Occupants may change the subject', values: [bool(c.changeSubject)] },
    { var: 'muc#roominfo_lang', type: 'text-single', label: 'Language', values: [c.language] },
    { var: 'muc#roominfo_contactjid', type: 'jid-multi', label: 'Contact', values: c.whois === 'anyone' ? room.withAffiliation('owner') : [] },
    { var: 'muc#roomconfig_changesubject', type: 'boolean', values: [bool(c.changeSubject)] },
    { var: 'muc#roomconfig_allowinvites', type: 'boolean', values: [bool(c.allowInvites)] },
    { var: 'muc#roomconfig_allowpm', type: 'list-single', values: [c.allowPm] },
    { var: 'muc#maxhistoryfetch', type: 'text-single', values: [String(c.historyLength)] },
    { var: 'muc#roominfo_pubsub', type: 'text-single', values: [c.pubsub] },
    // XEP-0486 §3
    { var: 'muc#roominfo_avatarhash', type: 'text-multi', label: 'Avatar hash', values: room.avatarHash ? [room.avatarHash] : [] },
  ];
  if (c.whois === 'anyone' || c.maxUsers) fields.push({ var: 'muc#roomconfig_maxusers', type: 'text-single', values: [String(c.maxUsers || room.services.options.maxOccupants)] });
  return xml('query', { xmlns: NS.discoInfo },
    xml('identity', { category: 'conference', type: 'text', name: c.name || room.jid.local }),
    ...roomFeatures(room).map((feature) => xml('feature', { var: feature })),
    formElement('result', ROOMINFO, fields));
}

/** §6.5: the occupants' room JIDs, to occupants, or to anyone when the room is public. */
export function roomItems(room: Room, from: JID): Element {
  const visible = room.config.public || room.bySession.has(from.full);
  return xml('query', { xmlns: NS.discoItems },
    ...(visible ? [...room.occupants.values()].map((occupant) => xml('item', { jid: room.occupantJid(occupant.nick) })) : []));
}
