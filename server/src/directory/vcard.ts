// vcard-temp (XEP-0054) from the address book: the directory's card fields (FN, N, EMAIL, TEL, ORG,
// TITLE, PHOTO) merged with what the user set. A field the directory has a value for is owned by it:
// shown from the directory, and dropped from a client's vCard set. Fields the directory leaves empty
// stay the user's own, so a server without directory data behaves as plain vcard-temp.
import { NS, xml, type Element } from '@parley/shared';
import type { AddressCard, Directory, Photo } from './types.ts';

/** The directory's part of a user's vCard: the elements, and the field names it owns. */
export interface DirectoryVCard {
  fields: Element[];
  owned: Set<string>;
}

const types = (list: string[] | undefined) => (list ?? []).map((type) => xml(type.toUpperCase()));

/** The directory-owned vCard fields of a user, or null for an unknown account. */
export async function directoryVCard(directory: Directory, jid: string): Promise<DirectoryVCard | null> {
  const user = await directory.users.get(jid);
  if (!user) return null;
  const card = await directory.users.getCard(jid);
  const photo = user.photoHash ? await directory.users.getPhoto(jid) : null;
  return cardElements(jid, user.displayName, user.emails, card, photo);
}

/** XEP-0054 §2 element order: FN, N, …, TEL, EMAIL, …, TITLE, ORG, PHOTO (any order is valid). */
export function cardElements(jid: string, displayName: string | null, emails: string[], card: AddressCard | null,
  photo: Photo | null): DirectoryVCard {
  const fields: Element[] = [];
  const owned = new Set<string>();
  const add = (name: string, element: Element) => {
    owned.add(name);
    fields.push(element);
  };
  const fn = card?.fn ?? displayName;
  if (fn) add('FN', xml('FN', null, fn));
  if (card?.n) {
    const n = card.n;
    add('N', xml('N', null, xml('FAMILY', null, n.family ?? ''), xml('GIVEN', null, n.given ?? ''), xml('MIDDLE', null, n.middle ?? ''),
      xml('PREFIX', null, n.prefix ?? ''), xml('SUFFIX', null, n.suffix ?? '')));
  }
  for (const tel of card?.tels ?? []) add('TEL', xml('TEL', null, ...types(tel.types), xml('NUMBER', null, tel.number)));
  // The default address is the JID (the login); the card or the extra addresses make EMAIL the directory's.
  if (card || emails.length > 1) {
    const listed = card?.emails?.length ? card.emails : emails.map((address) => ({ address, types: ['INTERNET'] }));
    const all = listed.some((email) => email.address === jid) ? listed : [{ address: jid, types: ['INTERNET'] }, ...listed];
    for (const email of all) {
      add('EMAIL', xml('EMAIL', null, ...types(email.types), email.address === jid ? xml('PREF') : null,
        xml('USERID', null, email.address)));
    }
  }
  if (card?.title) add('TITLE', xml('TITLE', null, card.title));
  if (card?.org?.name || card?.org?.unit) {
    add('ORG', xml('ORG', null, xml('ORGNAME', null, card.org.name ?? ''), card.org.unit ? xml('ORGUNIT', null, card.org.unit) : null));
  }
  if (photo) add('PHOTO', xml('PHOTO', null, xml('TYPE', null, photo.type), xml('BINVAL', null, photo.data.toString('base64'))));
  return { fields, owned };
}

/** The vCard a reader gets: the directory's fields first, then the user's own fields it does not own. */
export function mergeVCard(fromDirectory: DirectoryVCard, stored: Element | null): Element {
  const vcard = xml('vCard', { xmlns: NS.vcard }, ...fromDirectory.fields);
  for (const child of stored?.children ?? []) {
    if (typeof child === 'string' || fromDirectory.owned.has(child.name)) continue;
    child.parent = vcard;
    vcard.children.push(child);
  }
  return vcard;
}

/** A client's vCard set without the fields the directory owns (those are not the user's to change). */
export function withoutOwnedFields(vcard: Element, owned: Set<string>): Element {
  if (owned.size === 0) return vcard;
  vcard.children = vcard.children.filter((child) => typeof child === 'string' || !owned.has(child.name));
  return vcard;
}
