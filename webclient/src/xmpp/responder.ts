// Answers to what other entities ask a client: XEP-0199 ping, XEP-0030 disco#info, XEP-0092 version.
import { NS, xml } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { NS_CHAT_STATES, NS_RECEIPTS, NS_STANZA_IDS } from '@parley/shared';

export const CLIENT_FEATURES = [NS.discoInfo, NS.ping, NS.version, NS_CHAT_STATES, NS_RECEIPTS, NS_STANZA_IDS, NS.vcardUpdate];

export function answerQueries(client: XmppClient, version: string): void {
  client.handleIq('get', NS.ping, () => null);
  client.handleIq('get', NS.discoInfo, () => xml('query', { xmlns: NS.discoInfo },
    xml('identity', { category: 'client', type: 'web', name: 'Parley' }),
    ...CLIENT_FEATURES.map((feature) => xml('feature', { var: feature }))));
  client.handleIq('get', NS.version, () => xml('query', { xmlns: NS.version },
    xml('name', null, 'Parley web'), xml('version', null, version)));
}
