// XEP-0054 vcard-temp (the fields a chat client shows) and XEP-0153 avatar hashes in presence.
import { NS } from './namespaces.ts';
import { xml, type Element } from './xml.ts';

export interface VcardPhoto {
  /** MIME type, e.g. image/png */
  type: string;
  /** base64 image data, whitespace removed */
  base64: string;
}

export interface VcardInfo {
  fullName?: string;
  nickname?: string;
  email?: string;
  photo?: VcardPhoto;
}

/** Read the fields a client displays from a <vCard xmlns='vcard-temp'/>. */
export function parseVcard(vcard: Element): VcardInfo {
  const info: VcardInfo = {};
  const fullName = vcard.getChildText('FN')?.trim();
  if (fullName) info.fullName = fullName;
  const nickname = vcard.getChildText('NICKNAME')?.trim();
  if (nickname) info.nickname = nickname;
  const email = vcard.getChild('EMAIL')?.getChildText('USERID')?.trim();
  if (email) info.email = email;
  const photo = vcard.getChild('PHOTO');
  const base64 = photo?.getChildText('BINVAL')?.replace(/\s+/g, '');
  if (photo && base64) info.photo = { type: photo.getChildText('TYPE')?.trim() || 'image/png', base64 };
  return info;
}

/** Build a <vCard/> with the given fields (XEP-0054 §3.2 replaces the whole vCard on set). */
export function vcardElement(info: VcardInfo): Element {
  return xml('vCard', { xmlns: NS.vcard },
    info.fullName ? xml('FN', null, info.fullName) : null,
    info.nickname ? xml('NICKNAME', null, info.nickname) : null,
    info.email ? xml('EMAIL', null, xml('INTERNET'), xml('PREF'), xml('USERID', null, info.email)) : null,
    info.photo ? xml('PHOTO', null, xml('TYPE', null, info.photo.type), xml('BINVAL', null, info.photo.base64)) : null);
}

/**
 * XEP-0153 §4.1 update element for presence: a hash (hex SHA-1 of the image bytes) when there is
 * a photo, '' for "no photo" (empty <photo/>), undefined for "not ready to say" (no <photo/>).
 */
export function avatarUpdateElement(hash: string | undefined): Element {
  return xml('x', { xmlns: NS.vcardUpdate }, hash === undefined ? null : xml('photo', null, hash || null));
}

/**
 * The avatar hash a presence advertises: a hex string, '' when the sender has no photo, or
 * undefined when the presence says nothing about avatars (XEP-0153 §3.2).
 */
export function parseAvatarHash(presence: Element): string | undefined {
  const update = presence.getChild('x', NS.vcardUpdate);
  const photo = update?.getChild('photo');
  if (!photo) return undefined;
  return photo.getText().trim().toLowerCase();
}
