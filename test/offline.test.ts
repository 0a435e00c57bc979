// XEP-0160 offline messages with XEP-0203 delay stamps: kept while the user is away, delivered once.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  chat, createUsers, errorCondition, isError, isMessage, online, sendPresence, stopAll, sync, xml,
  type Element, type LoggedInClient, receivedXml,
} from './helpers/im.ts';

const NS_DELAY = 'urn:xmpp:delay';
const NS_CHAT_STATES = 'http://jabber.org/protocol/chatstates';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { limits: { offlineMessages: 3 } } });
});
afterAll(() => server.stop());

/** Makes the server's database refuse new offline rows (as a full disk would); returns the undo. */
async function refuseOfflineRows(server: TestServer): Promise<() => Promise<void>> {
  if (server.storage.backend === 'postgres') {
    const client = new pg.Client({ connectionString: server.storage.postgres!.url });
    await client.connect();
    await client.query("CREATE FUNCTION refuse_offline() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'disk full'; END $$");
    await client.query('CREATE TRIGGER refuse_offline BEFORE INSERT ON offline_messages FOR EACH ROW EXECUTE FUNCTION refuse_offline()');
    return async () => {
      await client.query('DROP TRIGGER refuse_offline ON offline_messages');
      await client.query('DROP FUNCTION refuse_offline()');
      await client.end();
    };
  }
  const db = new Database(join(server.dataDir, 'parley.db'));
  db.exec(`CREATE TRIGGER refuse_offline BEFORE INSERT ON offline_messages BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
  return async () => {
    db.exec('DROP TRIGGER refuse_offline');
    db.close();
  };
}

/** Send messages and wait until the server has handled them all (a ping after them on the same stream). */
async function sendAll(client: LoggedInClient, ...stanzas: Element[]): Promise<void> {
  for (const stanza of stanzas) await client.xmpp.send(stanza);
  await sync(client);
}

/** Collects `count` messages, in arrival order. */
async function messages(client: LoggedInClient, count: number): Promise<Element[]> {
  const deadline = Date.now() + 5000;
  while (client.received.filter(isMessage()).length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return client.received.filter(isMessage());
}

describe('offline storage (XEP-0160)', () => {
  it('delivers messages after the next initial presence, in order, with a delay stamp, and only once', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });

    // Bob is offline. Alice sends two chats to his bare JID and one to a full JID he no longer has.
    const sentAt = Date.now();
    await sendAll(alice, chat(bobJid!, 'first'), xml('message', { to: bobJid }, xml('body', {}, 'second')),
      chat(`${bobJid}/phone`, 'third'));
    expect(receivedXml(alice, isError('message'))).toEqual([]);

    // Bob connects but sends no presence yet: nothing is delivered before initial presence.
    const bob = await online(server, bobJid!, { presence: false });
    await sync(bob);
    expect(receivedXml(bob, isMessage())).toEqual([]);

    await sendPresence(bob);
    const delivered = await messages(bob, 3);
    expect(delivered.map((m) => m.getChildText('body'))).toEqual(['first', 'second', 'third']);
    for (const message of delivered) {
      expect(message.attrs.from).toBe(alice.jid);
      const delay = message.getChild('delay', NS_DELAY)!;
      expect(delay.attrs.from).toBe('example.com');
      const stamp = Date.parse(delay.attrs.stamp);
      expect(delay.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
      expect(stamp).toBeGreaterThanOrEqual(sentAt - 1000);
      expect(stamp).toBeLessThanOrEqual(Date.now());
    }
    await bob.stop();

    // The next login finds an empty queue.
    const bobAgain = await online(server, bobJid!, { transport: 'websocket' });
    await sync(bobAgain);
    expect(receivedXml(bobAgain, isMessage())).toEqual([]);
    await stopAll(alice, bobAgain);
  });

  it('bounces the message over the per-user limit with service-unavailable', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);

    await sendAll(alice, chat(bobJid!, '1'), chat(bobJid!, '2'), chat(bobJid!, '3'));
    const bounced = alice.next(isError('message'));
    await alice.xmpp.send(xml('message', { to: bobJid, type: 'chat', id: 'fourth' }, xml('body', {}, '4')));
    const error = await bounced;
    expect(error.attrs).toMatchObject({ id: 'fourth', from: bobJid });
    expect(errorCondition(error)).toBe('service-unavailable');

    const bob = await online(server, bobJid!, { transport: 'websocket' });
    expect((await messages(bob, 3)).map((m) => m.getChildText('body'))).toEqual(['1', '2', '3']);
    await sync(bob);
    expect(bob.received.filter(isMessage())).toHaveLength(3);
    await stopAll(alice, bob);
  });

  it('counts messages waiting for the commit against the limit: a burst of five keeps three, bounces two', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    // one write: the five are handled in one event-loop turn, before any of them is committed
    await sendAll(alice, ...['1', '2', '3', '4', '5'].map((body) => xml('message', { to: bobJid, type: 'chat', id: `b${body}` }, xml('body', {}, body))));
    const errors = alice.received.filter(isError('message'));
    expect(errors.map((error) => [error.attrs.id, errorCondition(error)])).toEqual([['b4', 'service-unavailable'], ['b5', 'service-unavailable']]);

    const bob = await online(server, bobJid!);
    expect((await messages(bob, 3)).map((m) => m.getChildText('body'))).toEqual(['1', '2', '3']);
    await stopAll(alice, bob);
  });

  it('bounces what the store could not keep with internal-server-error, and keeps working', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const undo = await refuseOfflineRows(server);
    try {
      const bounced = alice.next(isError('message'));
      await alice.xmpp.send(xml('message', { to: bobJid, type: 'chat', id: 'lost' }, xml('body', {}, 'not stored')));
      const error = await bounced;
      expect(error.attrs).toMatchObject({ id: 'lost', from: bobJid });
      expect(errorCondition(error)).toBe('internal-server-error');
    } finally {
      await undo();
    }
    await sendAll(alice, chat(bobJid!, 'stored'));
    const bob = await online(server, bobJid!);
    expect((await messages(bob, 1)).map((m) => m.getChildText('body'))).toEqual(['stored']);
    await stopAll(alice, bob);
  });

  it('does not keep chat-state-only messages, nor ones marked no-store (XEP-0334)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });

    await sendAll(alice,
      xml('message', { to: bobJid, type: 'chat' }, xml('composing', { xmlns: NS_CHAT_STATES })),
      xml('message', { to: bobJid, type: 'chat' }, xml('body', {}, 'ephemeral'), xml('no-store', { xmlns: 'urn:xmpp:hints' })),
      xml('message', { to: bobJid, type: 'chat' }, xml('body', {}, 'kept'), xml('active', { xmlns: NS_CHAT_STATES })),
      xml('message', { to: bobJid, type: 'chat' }, xml('paused', { xmlns: NS_CHAT_STATES })));
    expect(receivedXml(alice, isError('message'))).toEqual([]);

    const bob = await online(server, bobJid!);
    await messages(bob, 1);
    await sync(bob);
    const delivered = bob.received.filter((s) => s.is('message'));
    expect(delivered.map((m) => m.getChildText('body'))).toEqual(['kept']);
    await stopAll(alice, bob);
  });

  it('waits for non-negative presence: a negative-priority resource does not take the queue', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    await sendAll(alice, chat(bobJid!, 'for a real client'));

    // Bob's monitoring bot comes online with priority -1: the message stays queued (RFC 6121 §8.5.2.1.1).
    const bot = await online(server, bobJid!, { resource: 'bot', presence: { priority: -1 } });
    await sync(bot);
    expect(receivedXml(bot, isMessage())).toEqual([]);

    // XEP-0160 §2: delivered to the resource that next sends non-negative available presence.
    await sendPresence(bot, { priority: 0 });
    expect((await messages(bot, 1)).map((m) => m.getChildText('body'))).toEqual(['for a real client']);
    await stopAll(alice, bot);
  });
});
