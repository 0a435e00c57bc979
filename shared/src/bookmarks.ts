// XEP-0402 bookmarks as data: a room the user keeps, read from a <conference/> item of the
// urn:xmpp:bookmarks:1 PEP node (or a XEP-0048 <conference/> in private storage), and written back.
// Shared by the server's PEP module (XEP-0411 compatibility), whatever joins rooms for the user (MUC autojoin
// reads the node through ModuleServices.pubsub, or listens to bookmarks-changed) and clients.
import { NS } from './namespaces.ts';
import { tryParseJid } from './jid.ts';
import { xml, type Element } from './xml.ts';

export interface Bookmark {
  /** The room's bare JID (the item id in XEP-0402). */
  readonly jid: string;
  readonly name?: string;
  readonly autojoin: boolean;
  readonly nick?: string;
  readonly password?: string;
}

const truthy = (value: string | undefined) => value === 'true' || value === '1';

/** XEP-0402 §3: an item's <conference/>, its id the room. Null when it is not one. */
export function bookmarkFromItem(id: string, conference: Element | null): Bookmark | null {
  if (!conference || conference.name !== 'conference' || conference.attrs.xmlns !== NS.bookmarks || !tryParseJid(id)) return null;
  return {
    jid: id, name: conference.attrs.name, autojoin: truthy(conference.attrs.autojoin),
    nick: conference.getChildText('nick') ?? undefined, password: conference.getChildText('password') ?? undefined,
  };
}

export function bookmarkPayload(bookmark: Bookmark): Element {
  return xml('conference', { xmlns: NS.bookmarks, name: bookmark.name, autojoin: bookmark.autojoin ? 'true' : undefined },
    bookmark.nick ? xml('nick', null, bookmark.nick) : null,
    bookmark.password ? xml('password', null, bookmark.password) : null);
}

/** XEP-0048 §3 <storage xmlns='storage:bookmarks'/>: its conferences (URLs are not rooms: left out). */
export function bookmarksFromStorage(storage: Element): Bookmark[] {
  const bookmarks: Bookmark[] = [];
  for (const conference of storage.getChildren('conference')) {
    const jid = tryParseJid(conference.attrs.jid ?? '');
    if (!jid) continue;
    bookmarks.push({
      jid: jid.bare, name: conference.attrs.name, autojoin: truthy(conference.attrs.autojoin),
      nick: conference.getChildText('nick') ?? undefined, password: conference.getChildText('password') ?? undefined,
    });
  }
  return bookmarks;
}

export function storageElement(bookmarks: readonly Bookmark[]): Element {
  return xml('storage', { xmlns: NS.bookmarksLegacy }, ...bookmarks.map((bookmark) =>
    xml('conference', { jid: bookmark.jid, name: bookmark.name, autojoin: bookmark.autojoin ? 'true' : undefined },
      bookmark.nick ? xml('nick', null, bookmark.nick) : null,
      bookmark.password ? xml('password', null, bookmark.password) : null)));
}
