// XEP-0084 user avatars over PEP (XEP-0163). Contacts' metadata notifications (the panel's caps say
// urn:xmpp:avatar:metadata+notify, caps.ts) name the image by the SHA-1 of its bytes; the bytes are
// fetched once per id from the contact's urn:xmpp:avatar:data node and checked against it. Our own
// avatar is published as data, then metadata (§4.1–4.3: a notified contact then finds the data);
// the server keeps the vCard photo in step (XEP-0398), so XEP-0153 contacts see it too.
import { NS, StanzaError, tryParseJid, xml, type Element } from '@parley/shared';
import { fromBase64 } from '@parley/shared/sasl/encoding';
import type { AvatarImage } from '../lib/image.ts';
import { t } from '../i18n/index.svelte.ts';
import { safeImageType, sha1Hex, type AvatarService } from './avatars.ts';
import type { XmppClient } from './client.ts';

export interface AvatarInfo {
  /** hex SHA-1 of the image bytes (§4.2) */
  id: string;
  type: string;
  bytes: number;
}

/** Images bigger than this are not fetched (nor shown): an avatar is a few kilobytes. */
const MAX_AVATAR_BYTES = 192 * 1024;

/**
 * The avatar a metadata notification announces: `info` null when the contact has none (§4.5, an
 * empty <metadata/>); null for anything else. Only <info/> without url is ours to fetch (§4.2: the
 * PNG one when several are offered).
 */
export function parseMetadataEvent(message: Element): { from: string; info: AvatarInfo | null } | null {
  const from = tryParseJid(message.attrs.from);
  const items = message.getChild('event', NS.pubsubEvent)?.getChild('items');
  if (!from || from.resource !== '' || items?.attrs.node !== NS.avatarMetadata) return null;
  const item = items.getChildren('item').at(-1);
  const metadata = item?.getChild('metadata', NS.avatarMetadata);
  if (!metadata) return null;
  const offered = metadata.getChildren('info').filter((info) => !info.attrs.url && /^[0-9a-f]{40}$/i.test(info.attrs.id ?? ''));
  if (metadata.getChildren('info').length === 0) return { from: from.bare, info: null };
  const chosen = offered.find((info) => info.attrs.type === 'image/png') ?? offered[0];
  if (!chosen) return null; // only by URL (§4.2 'url'): not fetched by the panel
  return { from: from.bare, info: { id: chosen.attrs.id!.toLowerCase(), type: chosen.attrs.type ?? 'image/png', bytes: Number(chosen.attrs.bytes) || 0 } };
}

/** §4.1 the data item, §4.2 the metadata item; both carry the hash as their id. */
export function avatarPublishRequests(image: AvatarImage, id: string): [Element, Element] {
  return [
    xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS.pubsub },
      xml('publish', { node: NS.avatarData }, xml('item', { id }, xml('data', { xmlns: NS.avatarData }, image.base64))))),
    xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS.pubsub },
      xml('publish', { node: NS.avatarMetadata }, xml('item', { id }, xml('metadata', { xmlns: NS.avatarMetadata },
        xml('info', { id, bytes: image.bytes.length, type: image.type, width: image.width, height: image.height })))))),
  ];
}

/** The server has no PEP (or no avatars on it): the vCard path is the only one. */
function noPep(error: unknown): boolean {
  return error instanceof StanzaError && ['service-unavailable', 'feature-not-implemented'].includes(error.condition);
}

export class PepAvatars {
  /** Fetches in flight, by image id. */
  private readonly fetching = new Map<string, Promise<string | null>>();

  constructor(private readonly client: XmppClient, private readonly avatars: AvatarService) {
    client.on('message', (message) => this.receive(message));
  }

  private receive(message: Element): void {
    const event = parseMetadataEvent(message);
    if (!event) return;
    const { from, info } = event;
    if (!info) return this.avatars.showPepPhoto(from, '', undefined);
    const known = this.avatars.knownPhoto(info.id);
    if (known) return this.avatars.showPepPhoto(from, info.id, known);
    if (info.bytes > MAX_AVATAR_BYTES) return;
    void this.fetchData(from, info).then((photo) => {
      if (photo) this.avatars.showPepPhoto(from, info.id, photo);
    });
  }

  /** §4.3 (retrieval): the data item by id; the bytes must hash to it. A data: URL, or null. */
  private fetchData(owner: string, info: AvatarInfo): Promise<string | null> {
    const running = this.fetching.get(info.id);
    if (running) return running;
    const request = this.client.iq(xml('iq', { type: 'get', to: owner }, xml('pubsub', { xmlns: NS.pubsub },
      xml('items', { node: NS.avatarData }, xml('item', { id: info.id }))))).then(async (result) => {
      const item = result.getChild('pubsub', NS.pubsub)?.getChild('items')?.getChildren('item').find((i) => i.attrs.id === info.id);
      const base64 = item?.getChild('data', NS.avatarData)?.getText().replace(/\s+/g, '');
      if (!base64 || base64.length > (MAX_AVATAR_BYTES * 4) / 3 + 4) return null;
      const bytes = fromBase64(base64);
      if ((await sha1Hex(bytes)) !== info.id) return null; // not the image the metadata names
      const photo = `data:${safeImageType(info.type)};base64,${base64}`;
      this.avatars.rememberPhoto(info.id, photo);
      return photo;
    }).catch(() => null).finally(() => this.fetching.delete(info.id));
    this.fetching.set(info.id, request);
    return request;
  }

  /**
   * Publish our avatar (null: none, §4.5). Resolves with its hash ('' for none), or null when the
   * server has no PEP (the caller stores the photo in the vCard instead). A refusal — the address
   * book owns the photo: not-allowed with the server's text — rejects with it in words.
   */
  async publishOwn(image: AvatarImage | null): Promise<string | null> {
    try {
      if (!image) {
        await this.client.iq(xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS.pubsub },
          xml('publish', { node: NS.avatarMetadata }, xml('item', null, xml('metadata', { xmlns: NS.avatarMetadata }))))));
        return '';
      }
      const id = await sha1Hex(image.bytes);
      const [data, metadata] = avatarPublishRequests(image, id);
      await this.client.iq(data);
      await this.client.iq(metadata);
      this.avatars.rememberPhoto(id, `data:${image.type};base64,${image.base64}`);
      return id;
    } catch (error) {
      if (noPep(error)) return null;
      throw new Error(avatarRefusal(error));
    }
  }
}

/** What a refused publish means, in words, with the server's own text when it gave one. */
export function avatarRefusal(error: unknown): string {
  if (!(error instanceof StanzaError)) return t('profile.photoFailed', { text: 'none' });
  const text = error.text?.trim() || 'none';
  switch (error.condition) {
    case 'not-allowed':
    case 'forbidden':
      return t('profile.photoNotAllowed', { text });
    case 'not-acceptable':
    case 'policy-violation':
    case 'resource-constraint':
      return t('profile.photoTooLarge', { text });
    default:
      return t('profile.photoFailed', { text });
  }
}
