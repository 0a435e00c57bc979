// XEP-0402 room bookmarks in our PEP service (node urn:xmpp:bookmarks:1): the rooms we are in,
// kept with autojoin so that every device of ours enters them at sign-in. The node's
// configuration is XEP-0402 §5's (whitelist, max items), asked for with XEP-0223 publish-options.
// §3.4: the notifications of the node (the panel's caps ask for them, '+notify') say at once
// what another device of ours added or removed.
import { NS, StanzaError, bookmarkFromItem, bookmarkPayload, tryParseJid, xml, type Bookmark, type Element } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';

interface BookmarkEvents {
  /** A bookmark was added or changed (on any device of ours, this one too). */
  saved: [Bookmark];
  /** The bookmark of this room was removed. */
  removed: [room: string];
}

/**
 * XEP-0402 §3.4 a notification of our bookmarks node: the bookmarks published and the rooms
 * retracted. Only from our own account (PEP events come from the owner's bare JID); null otherwise.
 */
export function parseBookmarkEvent(message: Element, account: string): { saved: Bookmark[]; removed: string[] } | null {
  const from = message.attrs.from === undefined ? null : tryParseJid(message.attrs.from);
  if (message.attrs.from !== undefined && (!from || from.bare !== account || from.resource !== '')) return null;
  if (message.attrs.type === 'error') return null;
  const event = message.getChild('event', NS.pubsubEvent);
  const items = event?.getChild('items');
  if (items?.attrs.node === NS.bookmarks) {
    const saved = items.getChildren('item').map((item) => bookmarkFromItem(item.attrs.id ?? '', item.getChild('conference', NS.bookmarks) ?? null))
      .filter((bookmark): bookmark is Bookmark => bookmark !== null);
    const removed = items.getChildren('retract').map((retract) => retract.attrs.id ?? '').filter((id) => tryParseJid(id) !== null);
    return { saved, removed };
  }
  return null;
}

function publishOptions(): ReturnType<typeof xml> {
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', null, value));
  return xml('publish-options', null, xml('x', { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, NS.pubsubPublishOptions)),
    field('pubsub#persist_items', 'true'), field('pubsub#max_items', 'max'),
    field('pubsub#send_last_published_item', 'never'), field('pubsub#access_model', 'whitelist')));
}

export class BookmarkService extends Emitter<BookmarkEvents> {
  constructor(private readonly client: XmppClient) {
    super();
    client.on('message', (message) => {
      const event = parseBookmarkEvent(message, client.account.bare);
      if (!event) return;
      for (const bookmark of event.saved) this.emit('saved', bookmark);
      for (const room of event.removed) this.emit('removed', room);
    });
  }

  /** Every bookmark; none when the node does not exist yet. */
  async list(): Promise<Bookmark[]> {
    try {
      const answer = await this.client.iq(xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS.pubsub }, xml('items', { node: NS.bookmarks }))));
      const items = answer.getChild('pubsub', NS.pubsub)?.getChild('items')?.getChildren('item') ?? [];
      return items.map((item) => bookmarkFromItem(item.attrs.id ?? '', item.getChild('conference', NS.bookmarks) ?? null)).filter((b): b is Bookmark => b !== null);
    } catch (error) {
      if (error instanceof StanzaError && error.condition === 'item-not-found') return [];
      throw error;
    }
  }

  /** XEP-0402 §3.2 add or replace one (its item id is the room's JID). */
  async save(bookmark: Bookmark): Promise<void> {
    await this.client.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS.pubsub },
      xml('publish', { node: NS.bookmarks }, xml('item', { id: bookmark.jid }, bookmarkPayload(bookmark))), publishOptions())));
  }

  /** XEP-0402 §3.3 remove one. */
  async remove(room: string): Promise<void> {
    await this.client.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS.pubsub },
      xml('retract', { node: NS.bookmarks, notify: 'true' }, xml('item', { id: room })))));
  }
}
