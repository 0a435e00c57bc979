// XEP-0357 push notifications, with the app server as a real XMPP entity on loopback (a slixmpp
// client): registration with a publish-options form passed through, a summary without the body
// when a message goes offline or reaches a session waiting for resumption, retries with a limit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  chat, createUsers, iq, iqError, online, passwordOf, stopAll, sync, xml, type LoggedInClient,
} from './helpers/im.ts';
import { startPushAppServer, type PushAppServer } from './helpers/slixmpp.ts';
import { connectTcp } from './helpers/raw-stream.ts';
import { handle, smLogin } from './helpers/sm.ts';

const NS_PUSH = 'urn:xmpp:push:0';
const SUMMARY = 'urn:xmpp:push:summary';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    captureLogs: true,
    config: { c2s: { allowPlaintextOnLoopback: true }, modules: { push: { retries: 2, retryDelayMs: 50, replyTimeoutMs: 2000 } } },
  });
});
afterAll(() => server.stop());

function enable(appServer: string, node: string, secret?: string) {
  return xml('enable', { xmlns: NS_PUSH, jid: appServer, node }, secret ? xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
    xml('field', { var: 'FORM_TYPE' }, xml('value', {}, 'http://jabber.org/protocol/pubsub#publish-options')),
    xml('field', { var: 'secret' }, xml('value', {}, secret))) : null);
}

async function withAppServer(test: (app: PushAppServer, appJid: string) => Promise<void>, fail = 0): Promise<void> {
  const [appAccount] = await createUsers(server, ['pushapp']);
  const appJid = `${appAccount}/app`;
  const app = await startPushAppServer(server.ports.c2s, appJid, { fail });
  try {
    await test(app, appJid);
  } finally {
    await app.stop();
  }
}

async function registered(jid: string, appJid: string, node: string, secret?: string): Promise<void> {
  const client = await online(server, jid, { resource: 'setup' });
  expect((await iq(client, 'set', enable(appJid, node, secret))).attrs.type).toBe('result');
  await stopAll(client);
}

describe('push notifications (XEP-0357)', () => {
  it('is announced on the account, and a registration needs a jid and a node', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    const info = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), aliceJid);
    expect(info.getChild('query')!.getChildren('feature').map((feature) => feature.attrs.var)).toContain(NS_PUSH);
    expect(await iqError(alice, 'set', xml('enable', { xmlns: NS_PUSH, jid: 'push.example' }))).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(alice, 'set', xml('disable', { xmlns: NS_PUSH }))).toMatchObject({ condition: 'bad-request' });
    await stopAll(alice);
  });

  it('publishes a summary with the count and sender, no body, and the publish-options, for messages that go offline', async () => {
    await withAppServer(async (app, appJid) => {
      const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
      await registered(aliceJid!, appJid, 'node-1', 'sekrit');
      const bob = await online(server, bobJid!);
      await bob.xmpp.send(chat(aliceJid!, 'are you there?'));
      await bob.xmpp.send(xml('message', { to: aliceJid, type: 'chat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
      await bob.xmpp.send(chat(aliceJid!, 'hello?'));
      const first = await app.next();
      expect(first).toMatchObject({ node: 'node-1', from: aliceJid, answered: 'result' });
      expect(first.fields).toEqual({ FORM_TYPE: [SUMMARY], 'message-count': ['1'], 'last-message-sender': [bob.jid] });
      expect(first.options).toEqual({ FORM_TYPE: ['http://jabber.org/protocol/pubsub#publish-options'], secret: ['sekrit'] });
      const second = await app.next();
      expect(second.fields!['message-count']).toEqual(['2']);
      // the bare chat state is not worth a notification
      await sync(bob);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(app.publishes).toHaveLength(2);
      // Alice comes online: the count starts again
      const alice = await online(server, aliceJid!);
      await stopAll(alice);
      await bob.xmpp.send(chat(aliceJid!, 'again'));
      expect((await app.next()).fields!['message-count']).toEqual(['1']);
      await stopAll(bob);
    });
  });

  it('publishes for a message that reaches a session waiting for resumption (XEP-0198)', async () => {
    await withAppServer(async (app, appJid) => {
      const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
      const alice = await smLogin(await connectTcp(server.ports.c2s), aliceJid!.split('@')[0]!, passwordOf(aliceJid!), { resource: 'phone' });
      alice.peer.send(`<iq type='set' id='push'><enable xmlns='${NS_PUSH}' jid='${appJid}' node='phone-node'/></iq>`);
      await handle(alice, (got) => got.some((stanza) => stanza.attrs.id === 'push' && stanza.attrs.type === 'result'));
      alice.peer.destroy();
      const deadline = Date.now() + 5000;
      while (server.server.sessionTable.get(alice.jid)?.hibernatedUntil == null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      const bob = await online(server, bobJid!);
      await bob.xmpp.send(chat(alice.jid, 'wake up'));
      const publish = await app.next();
      expect(publish).toMatchObject({ node: 'phone-node', from: aliceJid });
      expect(publish.fields).toEqual({ FORM_TYPE: [SUMMARY], 'message-count': ['1'], 'last-message-sender': [bob.jid] });
      await stopAll(bob);
    });
  });

  it('retries a failed publish and logs it, up to the limit', async () => {
    await withAppServer(async (app, appJid) => {
      const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
      await registered(aliceJid!, appJid, 'flaky');
      const bob = await online(server, bobJid!);
      await bob.xmpp.send(chat(aliceJid!, 'one'));
      // the first answer is an error: tried again, answered
      expect((await app.next()).answered).toBe('error');
      expect((await app.next()).answered).toBe('result');
      expect(server.logs.filter((line) => line.msg === 'push notification failed; retrying' && line.owner === aliceJid)).toHaveLength(1);
      await stopAll(bob);
    }, 1);
    await withAppServer(async (app, appJid) => {
      const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
      await registered(aliceJid!, appJid, 'broken');
      const bob = await online(server, bobJid!);
      await bob.xmpp.send(chat(aliceJid!, 'one'));
      // retries: 2 → three attempts, then it gives up
      for (let i = 0; i < 3; i++) expect((await app.next()).answered).toBe('error');
      await expect.poll(() => server.logs.some((line) => line.msg === 'push notification failed; no more retries' && line.owner === aliceJid)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(app.publishes).toHaveLength(3);
      await stopAll(bob);
    }, 100);
  });

  it('publishes nothing more once disabled', async () => {
    await withAppServer(async (app, appJid) => {
      const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
      await registered(aliceJid!, appJid, 'a');
      await registered(aliceJid!, appJid, 'b');
      const alice: LoggedInClient = await online(server, aliceJid!, { resource: 'off' });
      await iq(alice, 'set', xml('disable', { xmlns: NS_PUSH, jid: appJid, node: 'a' }));
      await stopAll(alice);
      const bob = await online(server, bobJid!);
      await bob.xmpp.send(chat(aliceJid!, 'only b'));
      expect((await app.next()).node).toBe('b');
      const again = await online(server, aliceJid!, { resource: 'off' });
      await iq(again, 'set', xml('disable', { xmlns: NS_PUSH, jid: appJid }));
      await stopAll(again);
      await bob.xmpp.send(chat(aliceJid!, 'nobody'));
      await sync(bob);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(app.publishes).toHaveLength(1);
      await stopAll(bob);
    });
  });
});

describe('push notifications with includeBody', () => {
  it('puts the body in the summary when configured', async () => {
    const other = await startServer({ config: { modules: { push: { includeBody: true } } } });
    try {
      const [appAccount, aliceJid, bobJid] = await createUsers(other, ['pushapp', 'alice', 'bob']);
      const app = await startPushAppServer(other.ports.c2s, `${appAccount}/app`);
      const alice = await online(other, aliceJid!);
      await iq(alice, 'set', enable(`${appAccount}/app`, 'n'));
      await stopAll(alice);
      const bob = await online(other, bobJid!);
      await bob.xmpp.send(chat(aliceJid!, 'the body'));
      expect((await app.next()).fields!['last-message-body']).toEqual(['the body']);
      await stopAll(bob);
      await app.stop();
    } finally {
      await other.stop();
    }
  });
});
