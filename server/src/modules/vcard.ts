// XEP-0054 vcard-temp: a user stores their own vCard; anyone may read an account's vCard.
// XEP-0153: the PHOTO's hash goes into the user's presence, and a new photo is announced at once.
// The address book's fields (directory/vcard.ts) are merged in and cannot be overwritten by the user.
import { NS, StanzaError, serialize, type Element } from '@parley/shared';
import type { ParleyModule } from './registry.ts';
import { decorateWithAvatar, parseVCard, photoHash, rememberAvatarHash } from './avatar.ts';
import { rebroadcast } from './presence.ts';
import { directoryVCard, mergeVCard, withoutOwnedFields } from '../directory/vcard.ts';

const MAX_VCARD_SIZE = 128 * 1024;

export const vcardModule: ParleyModule = {
  name: 'vcard',
  implements: [
    { spec: 'XEP-0054', version: '1.2', status: 'complete' },
    { spec: 'XEP-0153', version: '1.1', status: 'complete', note: 'the server stamps the photo hash on broadcast presence' },
  ],
  register(ctx) {
    ctx.modules.discoFeatures.add(NS.vcard);
    ctx.modules.accountFeatures.add(NS.vcard);
    ctx.modules.presenceDecorators.push((presence, user) => decorateWithAvatar(ctx, presence, user.bare));
    const vcardElement = { name: 'vCard', xmlns: NS.vcard };
    ctx.modules.iq('account', 'get', vcardElement, async (_iq, _from, to) => {
      const fromDirectory = await directoryVCard(ctx.directory, to.bare);
      if (!fromDirectory) throw new StanzaError('service-unavailable');
      const stored = await ctx.storage.vcards.get(to.bare);
      let own: Element | null = null;
      if (stored) {
        own = parseVCard(stored);
        if (!own) throw new StanzaError('internal-server-error', 'stored vCard unreadable');
      }
      // XEP-0054 §3.1: no vCard yet is an empty vCard for an existing account.
      return mergeVCard(fromDirectory, own);
    });
    ctx.modules.iq('account', 'set', vcardElement, async (_iq, from, to, _origin, vcard) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'you can only change your own vCard');
      // Fields the address book owns stay the directory's: the client's values for them are dropped.
      const fromDirectory = await directoryVCard(ctx.directory, from.bare);
      const own = withoutOwnedFields(vcard, fromDirectory?.owned ?? new Set());
      const serialized = serialize(own);
      if (serialized.length > MAX_VCARD_SIZE) throw new StanzaError('not-acceptable', 'vCard too large');
      await ctx.storage.vcards.set(from.bare, serialized);
      // XEP-0153 §4.1: the hash of the photo readers will see (the directory's, when it has one).
      rememberAvatarHash(ctx, from.bare, photoHash(fromDirectory ? mergeVCard(fromDirectory, own) : own));
      // XEP-0153 §4.2: contacts learn about a new photo through a fresh presence broadcast.
      for (const session of ctx.sessions.resources(from.bare)) {
        const done = rebroadcast(ctx, session);
        if (done !== true) await done;
      }
      return null;
    });
  },
};

