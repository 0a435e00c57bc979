// XEP-0199 XMPP Ping: the server answers pings addressed to it (client-to-client pings are routed).
import { NS } from '@parley/shared';
import { defineModule } from '../core/module-api.ts';

export const pingModule = defineModule({
  name: 'ping',
  implements: [{ spec: 'XEP-0199', version: '2.0.1', status: 'complete' }],
  register(ctx) {
    ctx.features.server(NS.ping);
    ctx.features.account(NS.ping);
    const ping = { name: 'ping', xmlns: NS.ping };
    ctx.iq('host', 'get', ping, () => null);
    // RFC 6121 §8.5.1: an iq to a bare JID is answered by the server on the account's behalf.
    ctx.iq('account', 'get', ping, () => null);
  },
});
