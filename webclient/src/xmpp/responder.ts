// Answers to what other entities ask a client: XEP-0199 ping, XEP-0030 disco#info (also about the
// panel's XEP-0115 caps node, caps.ts), XEP-0092 version.
import { NS, StanzaError, xml } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { CAPS_NODE, discoInfoQuery } from './caps.ts';

export function answerQueries(client: XmppClient, version: string): void {
  client.handleIq('get', NS.ping, () => null);
  client.handleIq('get', NS.discoInfo, (iq) => {
    const node = iq.getChild('query', NS.discoInfo)?.attrs.node;
    // XEP-0115 §6.2: asked about 'node#ver', the answer names the same node; other nodes are not ours
    if (node !== undefined && !node.startsWith(`${CAPS_NODE}#`)) throw new StanzaError('item-not-found');
    return discoInfoQuery(node);
  });
  client.handleIq('get', NS.version, () => xml('query', { xmlns: NS.version },
    xml('name', null, 'Parley web'), xml('version', null, version)));
}
