// XEP-0153 vCard-based avatars: the server puts the SHA-1 of the user's vCard PHOTO in every
// presence the user broadcasts, so contacts fetch a photo once and notice when it changes.
import { createHash } from 'node:crypto';
import { NS, StreamParser, avatarUpdateElement, parseVcard, type Element } from '@parley/shared';
import type { ServerContext } from '../context.ts';

/** Hash per bare JID: '' = no photo. Filled on first use, updated when the vCard changes. */
const hashes = new WeakMap<ServerContext, Map<string, string>>();

function cache(ctx: ServerContext): Map<string, string> {
  let map = hashes.get(ctx);
  if (!map) {
    map = new Map();
    hashes.set(ctx, map);
  }
  return map;
}

/** XEP-0153 §4.1: the hash is the hex SHA-1 of the image bytes (PHOTO/BINVAL, base64 in the vCard). */
export function photoHash(vcard: Element | null): string {
  const photo = vcard ? parseVcard(vcard).photo : undefined;
  if (!photo) return '';
  return createHash('sha1').update(Buffer.from(photo.base64, 'base64')).digest('hex');
}

export async function avatarHash(ctx: ServerContext, bare: string): Promise<string> {
  const known = cache(ctx).get(bare);
  if (known !== undefined) return known;
  return refreshAvatarHash(ctx, bare);
}

/** Recompute the hash: the directory photo wins over the user's own (directory/vcard.ts). */
export async function refreshAvatarHash(ctx: ServerContext, bare: string): Promise<string> {
  let hash = (await ctx.directory.users.get(bare))?.photoHash ?? '';
  if (!hash) {
    const stored = await ctx.storage.vcards.get(bare);
    hash = photoHash(stored ? parseVCard(stored) : null);
  }
  cache(ctx).set(bare, hash);
  return hash;
}

export function rememberAvatarHash(ctx: ServerContext, bare: string, hash: string): void {
  cache(ctx).set(bare, hash);
}

/** Replace whatever vcard-temp:x:update the client put in with the server's own knowledge. */
export async function decorateWithAvatar(ctx: ServerContext, presence: Element, bare: string): Promise<void> {
  const hash = await avatarHash(ctx, bare);
  presence.children = presence.children.filter((node) =>
    typeof node === 'string' || !(node.name === 'x' && node.attrs.xmlns === NS.vcardUpdate));
  const update = avatarUpdateElement(hash);
  update.parent = presence;
  presence.children.push(update);
}

export function parseVCard(text: string): Element | null {
  let parsed: Element | null = null;
  const parser = new StreamParser({
    onStreamStart: () => {}, onStreamEnd: () => {}, onError: () => {},
    onElement: (element) => { parsed = element; },
  }, { mode: 'framed', maxElementSize: Math.max(text.length * 2, 10_000) });
  parser.write(text);
  return parsed;
}
