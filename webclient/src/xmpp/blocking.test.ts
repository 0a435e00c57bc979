// XEP-0191 list state: the fetched list, our own changes, pushes from our other resources (and
// only from our account), and §3.4's empty <unblock/> that clears everything.
import { describe, expect, it } from 'vitest';
import { NS, StanzaError, xml, type Element } from '@parley/shared';
import { BlockingService } from './blocking.ts';
import type { IqHandler, XmppClient } from './client.ts';

function fakeClient(list: string[]) {
  const sent: Element[] = [];
  let push: IqHandler | undefined;
  const client = {
    account: { bare: 'alice@example.com' },
    handleIq: (_type: string, _ns: string, handler: IqHandler) => { push = handler; },
    iq: async (request: Element) => {
      sent.push(request);
      return xml('iq', { type: 'result' }, request.getChild('blocklist') ? xml('blocklist', { xmlns: NS.blocking }, ...list.map((jid) => xml('item', { jid }))) : null);
    },
  };
  const pushed = (from: string | undefined, payload: Element) => push!(xml('iq', { type: 'set', from, id: 'p' }, payload));
  return { client: client as unknown as XmppClient, sent, pushed };
}

const items = (name: 'block' | 'unblock', ...jids: string[]) => xml(name, { xmlns: NS.blocking }, ...jids.map((jid) => xml('item', { jid })));

describe('BlockingService', () => {
  it('follows the fetched list, our changes and the pushes', async () => {
    const { client, sent, pushed } = fakeClient(['zed@example.com']);
    const blocking = new BlockingService(client);
    const seen: string[][] = [];
    blocking.on('changed', (jids) => seen.push(jids));
    await blocking.fetch();
    await blocking.block('mallory@example.com', true);
    expect(sent[1]!.getChild('block')!.getChild('item')!.getChild('report', NS.reporting)?.attrs.reason).toBe('urn:xmpp:reporting:spam');
    await pushed('alice@example.com', items('block', 'eve@example.com'));
    await pushed(undefined, items('unblock', 'zed@example.com'));
    expect(seen).toEqual([
      ['zed@example.com'],
      ['mallory@example.com', 'zed@example.com'],
      ['eve@example.com', 'mallory@example.com', 'zed@example.com'],
      ['eve@example.com', 'mallory@example.com'],
    ]);
    await pushed('alice@example.com', xml('unblock', { xmlns: NS.blocking }));
    expect(blocking.blocked).toEqual([]);
  });

  it('refuses a push from anyone but our own account', async () => {
    const { client, pushed } = fakeClient([]);
    const blocking = new BlockingService(client);
    expect(() => pushed('mallory@example.com', items('unblock'))).toThrow(StanzaError);
    expect(() => pushed('alice@example.com/other', items('block', 'x@example.com'))).toThrow(StanzaError);
    expect(blocking.blocked).toEqual([]);
  });
});
