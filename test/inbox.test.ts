// XEP-0430 inbox, read from the archive: Bob asks his inbox and gets one entry per conversation,
// newest first, with the unread count and the last message; his own reply or a displayed marker
// (with a store hint, as the panel sends it) makes the conversation read; unread-only and
// messages='false' filter; an inbox is its owner's alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { bare, chat, createUsers, iqError, online, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';

const NS_INBOX = 'urn:xmpp:inbox:1';

interface Inbox { entries: { jid: string; unread: number; id: string; body?: string; fromPeer?: boolean }[]; fin: Record<string, string> }

async function askInbox(client: LoggedInClient, attrs: Record<string, string> = {}, max?: number): Promise<Inbox> {
  const id = `inbox-${Math.random().toString(36).slice(2)}`;
  const entries: Inbox['entries'] = [];
  const off = (stanza: Element) => {
    const entry = stanza.is('message') ? stanza.getChild('entry', NS_INBOX) : undefined;
    if (!entry) return;
    const forwarded = stanza.getChild('result', 'urn:xmpp:mam:2')?.getChild('forwarded', 'urn:xmpp:forward:0')?.getChild('message');
    entries.push({ jid: entry.attrs.jid!, unread: Number(entry.attrs.unread), id: entry.attrs.id!, body: forwarded?.getChildText('body') ?? undefined,
      fromPeer: forwarded ? bare(forwarded.attrs.from ?? '') === entry.attrs.jid : undefined });
  };
  client.xmpp.on('stanza', off);
  try {
    const result = await client.xmpp.iqCaller.request(xml('iq', { type: 'get', id },
      xml('inbox', { xmlns: NS_INBOX, ...attrs }, max === undefined ? null : xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', null, String(max))))));
    const fin = result.getChild('fin', NS_INBOX)!;
    return { entries, fin: { total: fin.attrs.total!, unread: fin.attrs.unread!, allUnread: fin.attrs['all-unread']! } };
  } finally {
    (client.xmpp as unknown as { off(event: string, listener: (stanza: Element) => void): void }).off('stanza', off);
  }
}

describe('XEP-0430 inbox', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ config: { archive: { enabled: true } } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lists conversations newest first with unread counts and last messages, read state from replies and markers', async () => {
    const [alice, bob, carol] = await Promise.all((await createUsers(server, ['alice', 'bob', 'carol'])).map((jid) => online(server, jid)));
    const to = bare(bob!.jid);
    const got = (body: string) => bob!.next((s) => s.is('message') && s.getChildText('body') === body);
    let arrived = got('one');
    await alice!.xmpp.send(chat(to, 'one'));
    await arrived;
    arrived = got('two');
    await alice!.xmpp.send(xml('message', { to, type: 'chat', id: 'a2' }, xml('body', null, 'two'), xml('markable', { xmlns: 'urn:xmpp:chat-markers:0' })));
    await arrived;
    arrived = got('hi from carol');
    await carol!.xmpp.send(chat(to, 'hi from carol'));
    await arrived;
    // a reaction and a correction are not new messages
    arrived = bob!.next((s) => s.is('message') && s.getChild('replace', 'urn:xmpp:message-correct:0') !== undefined);
    await alice!.xmpp.send(xml('message', { to, type: 'chat', id: 'a3' }, xml('body', null, 'two!'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'a2' })));
    await arrived;

    let inbox = await askInbox(bob!);
    // newest message first: a correction is no new message and does not move Alice's conversation up
    expect(inbox.entries.map((e) => [e.jid, e.unread, e.body])).toEqual([[bare(carol!.jid), 1, 'hi from carol'], [bare(alice!.jid), 2, 'two']]);
    expect(inbox.fin).toEqual({ total: '2', unread: '2', allUnread: '3' });

    // Bob displays Alice's messages (XEP-0333, stored): read on every device
    await bob!.xmpp.send(xml('message', { to: bare(alice!.jid), type: 'chat' }, xml('displayed', { xmlns: 'urn:xmpp:chat-markers:0', id: 'a2' }), xml('store', { xmlns: 'urn:xmpp:hints' })));
    // and answers Carol: his own message reads hers
    await bob!.xmpp.send(chat(bare(carol!.jid), 'hello Carol'));
    await carol!.next((s) => s.is('message') && s.getChildText('body') === 'hello Carol');
    inbox = await askInbox(bob!);
    expect(inbox.entries.map((e) => [e.jid, e.unread, e.body, e.fromPeer])).toEqual([[bare(carol!.jid), 0, 'hello Carol', false], [bare(alice!.jid), 0, 'two', true]]);
    expect(inbox.fin).toEqual({ total: '2', unread: '0', allUnread: '0' });

    arrived = got('three');
    await alice!.xmpp.send(chat(to, 'three'));
    await arrived;
    const unreadOnly = await askInbox(bob!, { 'unread-only': 'true', messages: 'false' });
    expect(unreadOnly.entries).toEqual([{ jid: bare(alice!.jid), unread: 1, id: expect.any(String), body: undefined, fromPeer: undefined }]);
    expect((await askInbox(bob!, {}, 1)).entries.map((e) => e.jid)).toEqual([bare(alice!.jid)]);

    // Alice's inbox is hers: Bob's view of it is refused
    const refused = await iqError(bob!, 'get', xml('inbox', { xmlns: NS_INBOX }), bare(alice!.jid));
    expect(refused.condition).toBe('forbidden');
    await stopAll(alice!, bob!, carol!);
  });
});
