// XEP-0402 room bookmarks in our PEP service (node urn:xmpp:bookmarks:1): the rooms we are in,
// kept with autojoin so that every device of ours enters them at sign-in. The node's
// configuration is XEP-0402 §5's (whitelist, max items), asked for with XEP-0223 publish-options.
import { NS, StanzaError, bookmarkFromItem, bookmarkPayload, xml, type Bookmark } from '@parley/shared';
import type { XmppClient } from './client.ts';

function publishOptions(): ReturnType<typeof xml> {
  const field = (name: string, value: string) => xml('field', { var: name }, xml('value', null, value));
  return xml('publish-options', null, xml('x', { xmlns: NS.dataForms, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, NS.pubsubPublishOptions)),
    field('pubsub#persist_items', 'true'), field('pubsub#max_items', 'max'),
    field('pubsub#send_last_published_item', 'never'), field('pubsub#access_model', 'whitelist')));
}

export class BookmarkService {
  constructor(private readonly client: XmppClient) {}

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
