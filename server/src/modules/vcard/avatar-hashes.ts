// XEP-0153 vCard-based avatars: the server puts the SHA-1 of the user's vCard PHOTO in every
// presence the user broadcasts, so contacts fetch a photo once and notice when it changes.
// Hashes are cached per bare JID ('' = no photo), filled on first use, replaced when the photo changes.
import { createHash } from 'node:crypto';
import { NS, avatarUpdateElement, parseVcard, type Element } from '@parley/shared';
import { parseStanza } from '../lib/parse-stanza.ts';
import type { Cache } from '../../core/cache.ts';
import type { ModuleServices } from '../../core/module-api.ts';

/** XEP-0153 §4.1: the hash is the hex SHA-1 of the image bytes (PHOTO/BINVAL, base64 in the vCard). */
export function photoHash(vcard: Element | null): string {
  const photo = vcard ? parseVcard(vcard).photo : undefined;
  if (!photo) return '';
  return createHash('sha1').update(Buffer.from(photo.base64, 'base64')).digest('hex');
}

/** A stored vCard (serialized XML), or null when it does not parse. */
export const parseVCard = parseStanza;

export class AvatarHashes {
  constructor(private readonly services: Pick<ModuleServices, 'directory' | 'storage'>, private readonly cache: Cache<string>) {}

  async get(bare: string): Promise<string> {
    const known = this.cache.get(bare);
    if (known !== undefined) return known;
    return this.refresh(bare);
  }

  /** Recompute the hash: the directory photo wins over the user's own (directory/vcard.ts). */
  async refresh(bare: string): Promise<string> {
    let hash = (await this.services.directory.users.get(bare))?.photoHash ?? '';
    if (!hash) {
      const stored = await this.services.storage.vcards.get(bare);
      hash = photoHash(stored ? parseVCard(stored) : null);
    }
    this.cache.set(bare, hash);
    return hash;
  }

  remember(bare: string, hash: string): void {
    this.cache.set(bare, hash);
  }

  /** Replace whatever vcard-temp:x:update the client put in with the server's own knowledge. */
  async decorate(presence: Element, bare: string): Promise<void> {
    const hash = await this.get(bare);
    presence.children = presence.children.filter((node) =>
      typeof node === 'string' || !(node.name === 'x' && node.attrs.xmlns === NS.vcardUpdate));
    const update = avatarUpdateElement(hash);
    update.parent = presence;
    presence.children.push(update);
  }
}
