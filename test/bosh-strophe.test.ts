// A real BOSH client, strophe.js, against the server: login (SASL SCRAM over plain HTTP on
// loopback, restart, bind), chat with users on WebSocket and TCP, long idle, and session restore.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { chat, createUsers, isMessage, online, passwordOf, stopAll } from './helpers/im.ts';
import { Strophe, nextStanza, stropheLogin, stropheLogout, stropheUsers } from './helpers/strophe.ts';
import { $msg, $pres } from 'strophe.js';
import { delay } from './helpers/bosh.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

describe('strophe.js over BOSH', () => {
  it('logs in and chats with a user on WebSocket and a user on TCP', async () => {
    const [aliceJid] = await stropheUsers(server, ['alice']);
    const [bobJid, carolJid] = await createUsers(server, ['bob', 'carol']);
    const alice = await stropheLogin(server, aliceJid!, passwordOf(aliceJid!));
    expect(alice.jid).toMatch(new RegExp(`^${aliceJid}/.+`));
    expect(server.server.sessions.get(alice.jid)?.stream?.transport).toBe('bosh');
    alice.send($pres());
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    const carol = await online(server, carolJid!, { transport: 'starttls' });

    // Alice (BOSH) → Bob (WebSocket), Bob → Alice
    const toBob = bob.next(isMessage('Hello Bob, from BOSH'));
    alice.send($msg({ to: bobJid!, type: 'chat' }).c('body').t('Hello Bob, from BOSH'));
    expect((await toBob).attrs.from).toBe(alice.jid);
    const fromBob = nextStanza(alice, 'message', 'chat');
    await bob.xmpp.send(chat(alice.jid, 'Hi Alice <3 & more'));
    expect((await fromBob).getElementsByTagName('body')[0]?.textContent).toBe('Hi Alice <3 & more');

    // Alice → Carol (TCP), Carol → Alice
    const toCarol = carol.next(isMessage('Hello Carol'));
    alice.send($msg({ to: carolJid!, type: 'chat' }).c('body').t('Hello Carol'));
    await toCarol;
    const fromCarol = nextStanza(alice, 'message', 'chat');
    await carol.xmpp.send(chat(alice.jid, 'Hi from TCP'));
    expect((await fromCarol).getElementsByTagName('body')[0]?.textContent).toBe('Hi from TCP');

    await stropheLogout(alice);
    expect(server.server.sessions.get(alice.jid)).toBeUndefined();
    await stopAll(bob, carol);
  });

  it('stays connected while idle past wait', async () => {
    const [aliceJid] = await stropheUsers(server, ['alice']);
    const [bobJid] = await createUsers(server, ['bob']);
    const alice = await stropheLogin(server, aliceJid!, passwordOf(aliceJid!), { wait: 1 });
    alice.send($pres());
    const sid = (alice as unknown as { _proto: { sid: string } })._proto.sid;
    await delay(3500); // three 'wait' periods with nothing to say
    expect(alice.connected).toBe(true);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    const received = nextStanza(alice, 'message', 'chat');
    await bob.xmpp.send(chat(alice.jid, 'still there?'));
    expect((await received).getElementsByTagName('body')[0]?.textContent).toBe('still there?');
    expect((alice as unknown as { _proto: { sid: string } })._proto.sid).toBe(sid);
    await stropheLogout(alice);
    await stopAll(bob);
  });

  it('restores the session in a new connection (keepalive, as after a page reload)', async () => {
    const [aliceJid] = await stropheUsers(server, ['alice']);
    const [bobJid] = await createUsers(server, ['bob']);
    const first = await stropheLogin(server, aliceJid!, passwordOf(aliceJid!), { keepalive: true });
    first.send($pres());
    const boundJid = first.jid;
    await delay(200);
    // the page goes away: its requests are cut, nothing is terminated
    const internals = first as unknown as { _proto: { _abortAllRequests(): void }; _idleTimeout: NodeJS.Timeout; connected: boolean };
    clearTimeout(internals._idleTimeout);
    internals.connected = false;
    internals._proto._abortAllRequests();

    const second = new Strophe.Connection(`http://127.0.0.1:${server.ports.http}/http-bind`, { keepalive: true });
    const attached = new Promise<void>((resolve) => second.restore(aliceJid!, (status: number) => {
      if (status === Strophe.Status.ATTACHED) resolve();
    }));
    await attached;
    expect(second.jid).toBe(boundJid);
    const bob = await online(server, bobJid!);
    const received = nextStanza(second, 'message', 'chat');
    await bob.xmpp.send(chat(boundJid, 'welcome back'));
    expect((await received).getElementsByTagName('body')[0]?.textContent).toBe('welcome back');
    await stropheLogout(second);
    expect(server.server.sessions.get(boundJid)).toBeUndefined();
    await stopAll(bob);
  });
});
