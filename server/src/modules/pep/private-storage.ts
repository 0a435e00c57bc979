// XEP-0049 private XML storage: an account keeps XML fragments by element name and namespace, for
// itself only. XEP-0411: the XEP-0048 bookmarks fragment (storage:bookmarks) is not stored apart but
// read from and written to the XEP-0402 PEP node, so old and new clients see the same bookmarks.
import {
  NS, StanzaError, bookmarkFromItem, bookmarkPayload, bookmarksFromStorage, elementChildren, serialize, storageElement, xml,
  type Bookmark, type Element, type JID,
} from '@parley/shared';
import { parsePayload } from '../../pubsub/payloads.ts';
import { viewOf } from '../../pubsub/service.ts';
import type { PepContext, PepServices } from './options.ts';

/** XEP-0402 §5: the node configuration bookmarks are published with. */
export const BOOKMARK_OPTIONS: ReadonlyMap<string, string[]> = new Map([
  ['pubsub#persist_items', ['true']], ['pubsub#max_items', ['max']],
  ['pubsub#send_last_published_item', ['never']], ['pubsub#access_model', ['whitelist']],
]);

/** XEP-0049 §3: namespaces that are not the user's to store. */
function reserved(xmlns: string): boolean {
  return xmlns === NS.privateStorage || xmlns === NS.client || xmlns === NS.server || xmlns.startsWith('jabber:iq:') || xmlns === NS.stream;
}

export function registerPrivateStorage(ctx: PepContext, services: PepServices): void {
  const store = ctx.store<string>('private');
  const query = { name: 'query', xmlns: NS.privateStorage };
  ctx.features.account(NS.privateStorage);

  const fragments = (payload: Element, from: JID, to: JID): Element[] => {
    if (from.bare !== to.bare) throw new StanzaError('forbidden', "another user's private storage");
    const children = elementChildren(payload);
    if (children.length === 0) throw new StanzaError('bad-request', 'name the fragment (an element with its namespace)');
    for (const child of children) {
      const xmlns = child.attrs.xmlns;
      if (!xmlns) throw new StanzaError('bad-request', 'a private fragment needs its own namespace');
      if (reserved(xmlns)) throw new StanzaError('not-acceptable', `${xmlns.slice(0, 100)} is not stored here`);
    }
    return children;
  };
  const key = (fragment: Element) => `${fragment.name} ${fragment.attrs.xmlns}`;

  ctx.iq('account', 'get', query, async ({ payload, from, to }) => {
    const children = fragments(payload, from, to);
    if (children.length !== 1) throw new StanzaError('bad-request', 'ask for one fragment at a time');
    const wanted = children[0]!;
    if (wanted.name === 'storage' && wanted.attrs.xmlns === NS.bookmarksLegacy) {
      return xml('query', { xmlns: NS.privateStorage }, storageElement(await readBookmarks(ctx, to.bare)));
    }
    const stored = await store.get(to.bare, key(wanted));
    // §3.2: nothing stored: the empty fragment
    return xml('query', { xmlns: NS.privateStorage }, (stored ? parsePayload(stored) : null) ?? xml(wanted.name, { xmlns: wanted.attrs.xmlns }));
  });

  ctx.iq('account', 'set', query, async ({ payload, from, to }) => {
    const children = fragments(payload, from, to);
    for (const fragment of children) {
      const text = serialize(fragment);
      if (text.length > ctx.options.maxPayloadBytes) throw new StanzaError('not-acceptable', `fragments are at most ${ctx.options.maxPayloadBytes} bytes`);
    }
    for (const fragment of children) {
      if (fragment.name === 'storage' && fragment.attrs.xmlns === NS.bookmarksLegacy) await writeBookmarks(services, to.toBare(), bookmarksFromStorage(fragment));
      else await store.set(to.bare, key(fragment), serialize(fragment));
    }
    return null;
  });
}

/** The user's XEP-0402 bookmarks. */
export async function readBookmarks(ctx: PepContext, bare: string): Promise<Bookmark[]> {
  const items = await ctx.services.pubsub.getItems(bare, NS.bookmarks).catch(() => []);
  return items.map((item) => bookmarkFromItem(item.id, viewOf(item).payload)).filter((bookmark): bookmark is Bookmark => bookmark !== null);
}

/** A bookmark the server gives the user (bookmark-offered): added when the user has none for that room. */
export async function offerBookmark(services: PepServices, owner: JID, bookmark: Bookmark): Promise<boolean> {
  const service = services(owner);
  const exists = (await service.nodes()).some((node) => node.node === NS.bookmarks);
  if (exists && (await service.items(owner, NS.bookmarks, {})).items.some((item) => item.id === bookmark.jid)) return false;
  await service.publish(owner, NS.bookmarks, xml('item', { id: bookmark.jid }, bookmarkPayload(bookmark)), exists ? null : new Map(BOOKMARK_OPTIONS));
  return true;
}

/** XEP-0411 §4: a XEP-0048 set replaces the XEP-0402 items — each room published, the others retracted. */
async function writeBookmarks(services: PepServices, owner: JID, bookmarks: readonly Bookmark[]): Promise<void> {
  const service = services(owner);
  const wanted = new Set(bookmarks.map((bookmark) => bookmark.jid));
  // a new node gets XEP-0402's configuration; an existing one keeps the one its clients chose
  let exists = (await service.nodes()).some((node) => node.node === NS.bookmarks);
  for (const bookmark of bookmarks) {
    await service.publish(owner, NS.bookmarks, xml('item', { id: bookmark.jid }, bookmarkPayload(bookmark)), exists ? null : new Map(BOOKMARK_OPTIONS));
    exists = true;
  }
  if (!exists) return;
  const { items } = await service.items(owner, NS.bookmarks, {});
  for (const item of items) if (!wanted.has(item.id)) await service.retract(owner, NS.bookmarks, item.id, true);
}
