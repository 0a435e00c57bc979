// XEP-0092 Software Version of the server.
import { NS, xml } from '@parley/shared';
import { defineModule } from '../core/module-api.ts';

export const SERVER_VERSION = '0.1.0';

export const versionModule = defineModule({
  name: 'version',
  implements: [{ spec: 'XEP-0092', version: '1.1', status: 'complete' }],
  register(ctx) {
    ctx.features.server(NS.version);
    ctx.iq('host', 'get', { name: 'query', xmlns: NS.version }, () =>
      xml('query', { xmlns: NS.version }, xml('name', null, 'Parley'), xml('version', null, SERVER_VERSION)));
  },
});
