// XEP-0199 XMPP Ping: the server answers pings addressed to it (client-to-client pings are routed).
import { NS } from '@parley/shared';
import type { ParleyModule } from './registry.ts';

export const pingModule: ParleyModule = {
  name: 'ping',
  implements: [{ spec: 'XEP-0199', version: '2.0.1', status: 'complete' }],
  register(ctx) {
    ctx.modules.discoFeatures.add(NS.ping);
    ctx.modules.accountFeatures.add(NS.ping);
    const ping = { name: 'ping', xmlns: NS.ping };
    ctx.modules.iq('host', 'get', ping, () => null);
    // RFC 6121 §8.5.1: an iq to a bare JID is answered by the server on the account's behalf.
    ctx.modules.iq('account', 'get', ping, () => null);
  },
};
