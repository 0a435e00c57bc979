// XEP-0054 vcard-temp: a user stores their own vCard; anyone may read an account's vCard.
// XEP-0153: the PHOTO's hash goes into the user's presence, and a new photo is announced at once
// (asked of the presence module through presence/rebroadcast; a directory photo arrives as avatar-changed).
// The address book's fields (directory/vcard.ts) are merged in and cannot be overwritten by the user.
import { NS, StanzaError, serialize, type Element } from '@parley/shared';
import { defineModule } from '../../core/module-api.ts';
import { directoryVCard, mergeVCard, withoutOwnedFields } from '../../directory/vcard.ts';
import { AvatarHashes, parseVCard, photoHash } from './avatar-hashes.ts';

const MAX_VCARD_SIZE = 128 * 1024;

export const vcardModule = defineModule({
  name: 'vcard',
  implements: [
    { spec: 'XEP-0054', version: '1.2', status: 'complete' },
    { spec: 'XEP-0153', version: '1.1', status: 'complete', note: 'the server stamps the photo hash on broadcast presence' },
  ],
  register(ctx) {
    const { directory, storage } = ctx.services;
    const avatars = new AvatarHashes(ctx.services, ctx.cache<string>('avatar-hashes'));
    ctx.features.server(NS.vcard);
    ctx.features.account(NS.vcard);
    ctx.on('presence/broadcast', ({ session, stanza }) => avatars.decorate(stanza, session.jid.bare));
    const vcardElement = { name: 'vCard', xmlns: NS.vcard };
    ctx.iq('account', 'get', vcardElement, async ({ to }) => {
      const fromDirectory = await directoryVCard(directory, to.bare);
      if (!fromDirectory) throw new StanzaError('service-unavailable');
      const stored = await storage.vcards.get(to.bare);
      let own: Element | null = null;
      if (stored) {
        own = parseVCard(stored);
        if (!own) throw new StanzaError('internal-server-error', 'stored vCard unreadable');
      }
      // XEP-0054 §3.1: no vCard yet is an empty vCard for an existing account.
      return mergeVCard(fromDirectory, own);
    });
    ctx.iq('account', 'set', vcardElement, async ({ payload: vcard, from, to }) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'you can only change your own vCard');
      // Fields the address book owns stay the directory's: the client's values for them are dropped.
      const fromDirectory = await directoryVCard(directory, from.bare);
      const own = withoutOwnedFields(vcard, fromDirectory?.owned ?? new Set());
      const serialized = serialize(own);
      if (serialized.length > MAX_VCARD_SIZE) throw new StanzaError('not-acceptable', 'vCard too large');
      await storage.vcards.set(from.bare, serialized);
      // XEP-0153 §4.1: the hash of the photo readers will see (the directory's, when it has one).
      avatars.remember(from.bare, photoHash(fromDirectory ? mergeVCard(fromDirectory, own) : own));
      await ctx.emit('vcard-changed', { jid: from.bare });
      // XEP-0153 §4.2: contacts learn about a new photo through a fresh presence broadcast.
      await ctx.emit('presence/rebroadcast', { jid: from.bare });
      return null;
    });
    // A new photo in the address book (modules/suite-sync.ts): the same announcement.
    ctx.on('avatar-changed', async ({ jid }) => {
      await avatars.refresh(jid);
      await ctx.emit('presence/rebroadcast', { jid });
    });
  },
});
