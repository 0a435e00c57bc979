// XEP-0054 vcard-temp: a user stores their own vCard; anyone may read an account's vCard.
import { NS, StanzaError, serialize, xml, type Element } from '@parley/shared';
import { StreamParser } from '@parley/shared';
import type { ParleyModule } from './registry.ts';

const MAX_VCARD_SIZE = 128 * 1024;

export const vcardModule: ParleyModule = {
  name: 'vcard',
  implements: [{ spec: 'XEP-0054', version: '1.2', status: 'complete' }],
  register(ctx) {
    ctx.modules.discoFeatures.add(NS.vcard);
    ctx.modules.accountFeatures.add(NS.vcard);
    ctx.modules.iq('account', 'get', NS.vcard, async (_iq, _from, to) => {
      const stored = await ctx.storage.vcards.get(to.bare);
      if (stored) return parseStored(stored);
      // XEP-0054 §3.1: no vCard yet is an empty vCard for an existing account, item-not-found otherwise.
      if ((await ctx.storage.accounts.get(to.bare)) === null) throw new StanzaError('service-unavailable');
      return xml('vCard', { xmlns: NS.vcard });
    });
    ctx.modules.iq('account', 'set', NS.vcard, async (iq, from, to) => {
      if (from.bare !== to.bare) throw new StanzaError('forbidden', 'you can only change your own vCard');
      const vcard = iq.getChild('vCard', NS.vcard);
      if (!vcard) throw new StanzaError('bad-request');
      const serialized = serialize(vcard);
      if (serialized.length > MAX_VCARD_SIZE) throw new StanzaError('not-acceptable', 'vCard too large');
      await ctx.storage.vcards.set(from.bare, serialized);
      return null;
    });
  },
};

function parseStored(text: string): Element {
  let parsed: Element | undefined;
  const parser = new StreamParser({
    onStreamStart: () => {}, onStreamEnd: () => {}, onError: () => {},
    onElement: (element) => { parsed = element; },
  }, { mode: 'framed', maxElementSize: MAX_VCARD_SIZE * 2 });
  parser.write(text);
  if (!parsed) throw new StanzaError('internal-server-error', 'stored vCard unreadable');
  return parsed;
}
