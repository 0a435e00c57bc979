// XEP-0398 user avatar to vCard conversion: the XEP-0084 avatar (PEP nodes urn:xmpp:avatar:data and
// :metadata) and the vcard-temp PHOTO (XEP-0054, its hash in presence: XEP-0153) stay one picture.
// A client's XEP-0084 publish becomes the vCard photo (and the presence hash, through
// avatar-changed); a vCard photo — the user's own or the address book's — is published as
// XEP-0084 data and metadata. A photo the directory owns cannot be replaced through PEP.
import { createHash } from 'node:crypto';
import { JID, NS, StanzaError, serialize, xml, type Element } from '@parley/shared';
import { directoryVCard, mergeVCard } from '../../directory/vcard.ts';
import { parsePayload } from '../../pubsub/payloads.ts';
import type { PepContext, PepServices } from './options.ts';

export const AVATAR_NODES: ReadonlySet<string> = new Set([NS.avatarData, NS.avatarMetadata]);
export const NS_VCARD_CONVERSION = 'urn:xmpp:pep-vcard-conversion:0';

interface Photo {
  type: string;
  bytes: Buffer;
}

export class AvatarBridge {
  constructor(private readonly ctx: PepContext, private readonly services: PepServices) {}

  /** Refuse a client's avatar publish when the address book owns the photo. */
  async checkPublish(owner: JID, node: string): Promise<void> {
    if (!AVATAR_NODES.has(node)) return;
    const fromDirectory = await directoryVCard(this.ctx.services.directory, owner.bare);
    if (fromDirectory?.owned.has('PHOTO')) {
      throw new StanzaError('not-allowed', 'your avatar comes from the address book: change the photo there');
    }
  }

  /** XEP-0398 §4: a published metadata item names the data item that becomes the vCard PHOTO (none: no photo). */
  async published(owner: JID, node: string, payload: Element | null): Promise<void> {
    if (node !== NS.avatarMetadata || !payload) return;
    const info = payload.getChildren('info').find((element) => !element.attrs.url && element.attrs.id);
    let photo: Photo | null = null;
    if (info) {
      const [item] = await this.ctx.services.pubsub.getItems(owner.bare, NS.avatarData, { ids: [info.attrs.id!] });
      const data = item ? parsePayload(item.payload)?.getText() : undefined;
      if (!data) return; // metadata for data not published (yet): nothing to convert
      photo = { type: info.attrs.type ?? 'image/png', bytes: Buffer.from(data.replace(/\s+/g, ''), 'base64') };
    }
    const storage = this.ctx.services.storage;
    const stored = await storage.vcards.get(owner.bare);
    const vcard = (stored ? parsePayload(stored) : null) ?? xml('vCard', { xmlns: NS.vcard });
    vcard.children = vcard.children.filter((child) => typeof child === 'string' || child.name !== 'PHOTO');
    if (photo) {
      const element = xml('PHOTO', null, xml('TYPE', null, photo.type), xml('BINVAL', null, photo.bytes.toString('base64')));
      element.parent = vcard;
      vcard.children.push(element);
    }
    await storage.vcards.set(owner.bare, serialize(vcard));
    // the vcard module refreshes the XEP-0153 hash and rebroadcasts presence
    await this.ctx.emit('avatar-changed', { jid: owner.bare });
  }

  /**
   * XEP-0398 §3: the vCard's photo (the directory's first) published as XEP-0084, when PEP does not
   * show it yet. `removed`: the vCard changed, so an avatar without a photo behind it goes too (at
   * login an avatar the vCard lacks — published by URL, or metadata before data — is left alone).
   */
  async syncFromVCard(bare: string, removed: boolean): Promise<void> {
    const photo = await this.vcardPhoto(bare);
    const id = photo ? createHash('sha1').update(photo.bytes).digest('hex') : null;
    const pubsub = this.ctx.services.pubsub;
    const [current] = await pubsub.getItems(bare, NS.avatarMetadata, { max: 1 });
    const currentId = current ? parsePayload(current.payload)?.getChild('info')?.attrs.id ?? null : null;
    if (currentId === id || (!current && !photo) || (!photo && !removed)) return;
    const owner = new JID(bare.slice(0, bare.indexOf('@')), bare.slice(bare.indexOf('@') + 1));
    const service = this.services(owner);
    if (!photo || !id) {
      await service.publish(owner, NS.avatarMetadata, xml('item', { id: 'none' }, xml('metadata', { xmlns: NS.avatarMetadata })), null);
      return;
    }
    await service.publish(owner, NS.avatarData, xml('item', { id }, xml('data', { xmlns: NS.avatarData }, photo.bytes.toString('base64'))), null);
    await service.publish(owner, NS.avatarMetadata, xml('item', { id },
      xml('metadata', { xmlns: NS.avatarMetadata }, xml('info', { id, bytes: photo.bytes.length, type: photo.type }))), null);
  }

  private async vcardPhoto(bare: string): Promise<Photo | null> {
    const { directory, storage } = this.ctx.services;
    const stored = await storage.vcards.get(bare);
    const own = stored ? parsePayload(stored) : null;
    const fromDirectory = await directoryVCard(directory, bare);
    const vcard = fromDirectory ? mergeVCard(fromDirectory, own) : own;
    const photo = vcard?.getChild('PHOTO');
    const binval = photo?.getChildText('BINVAL');
    if (!photo || !binval) return null;
    return { type: photo.getChildText('TYPE') || 'image/png', bytes: Buffer.from(binval.replace(/\s+/g, ''), 'base64') };
  }
}
