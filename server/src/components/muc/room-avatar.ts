// XEP-0486 MUC avatars: a room's vcard-temp (XEP-0054) at the room's JID, set by its owners; its
// photo's hash goes into muc#roominfo_avatarhash, and a change is announced to the occupants with a
// presence from the room carrying the XEP-0153 update element.
import { createHash } from 'node:crypto';
import { Element, NS, StanzaError, avatarUpdateElement, parseStanza, parseVcard, serialize, xml, type JID } from '@parley/shared';
import type { Room } from './room.ts';

export async function vcardGet(room: Room): Promise<Element> {
  const stored = await room.services.store.vcard(room.jid.bare);
  return (stored ? parseStanza(stored) : null) ?? xml('vCard', { xmlns: NS.vcard });
}

export async function vcardSet(room: Room, vcard: Element, from: JID): Promise<void> {
  if (room.affiliationOf(from.bare) !== 'owner') throw new StanzaError('forbidden', "only owners set the room's vCard");
  const text = serialize(vcard);
  const max = room.services.options.maxVcardBytes;
  if (text.length > max) throw new StanzaError('not-acceptable', `a room vCard is at most ${max} bytes`);
  const photo = parseVcard(vcard).photo;
  const hash = photo ? createHash('sha1').update(Buffer.from(photo.base64, 'base64')).digest('hex') : '';
  await room.services.store.setVcard(room.jid.bare, vcard.children.length ? text : null);
  if (hash === room.avatarHash) return;
  room.avatarHash = hash;
  void room.save();
  // XEP-0486 §4: the occupants learn of the new avatar from the room's presence
  const presence = new Element('presence', { xmlns: NS.client, from: room.jid.bare });
  presence.children.push(avatarUpdateElement(hash));
  room.broadcast(presence);
}
