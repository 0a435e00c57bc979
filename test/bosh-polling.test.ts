// BOSH long-polling over raw HTTP (XEP-0124 §8, §10, §11, §12): hold and wait, pause, the
// inactivity timeout, overactivity, and the server ending sessions (conflict, shutdown).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { BoshSession, delay } from './helpers/bosh.ts';
import { befriend, chat, createUsers, isPresenceFrom, online, passwordOf, stopAll } from './helpers/im.ts';
import { login } from './helpers/clients.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { bosh: { maxWait: 5, maxInactivity: 2, maxPause: 10, requestsPerSecond: 20 } } });
});
afterAll(() => server.stop());

const ping = (id: string) => `<iq type='get' id='${id}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`;
const presence = `<presence xmlns='jabber:client'/>`;

async function boshUser(options: { wait?: number; hold?: number; resource?: string } = {}): Promise<BoshSession & { account: string }> {
  const [jid] = await createUsers(server, ['web']);
  const session = await BoshSession.open(server, { wait: options.wait ?? 5, hold: options.hold });
  await session.login(jid!, passwordOf(jid!), options.resource);
  return Object.assign(session, { account: jid! });
}

describe('hold and wait (§8)', () => {
  it('answers an idle held request empty when wait runs out, and the session goes on', async () => {
    const alice = await boshUser({ wait: 1 });
    const started = Date.now();
    const reply = await alice.send();
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(3000);
    expect(reply.attrs.type).toBeUndefined();
    expect(reply.payloads).toHaveLength(0);
    expect((await alice.send(ping('alive'))).payloads[0]?.attrs.id).toBe('alive');
  });

  it('answers a held request as soon as a stanza arrives', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    const alice = await boshUser();
    await alice.send(presence);
    const held = alice.send();
    await delay(100);
    const started = Date.now();
    await bob.xmpp.send(chat(alice.jid, 'ring'));
    const reply = await held;
    expect(Date.now() - started).toBeLessThan(2000); // long before 'wait' (5 s)
    expect(reply.payloads[0]?.getChildText('body')).toBe('ring');
    await stopAll(bob);
  });

  it('releases the oldest held request when a new one arrives (hold=1)', async () => {
    const alice = await boshUser();
    const held = alice.send();
    await delay(100);
    const started = Date.now();
    void alice.send(`<presence type='unavailable' xmlns='jabber:client'/>`);
    const reply = await held;
    expect(Date.now() - started).toBeLessThan(2000); // long before 'wait' (5 s)
    expect(reply.attrs.type).toBeUndefined();
  });
});

describe('pause (§10)', () => {
  it('answers the held requests at once, keeps the session past inactivity, and delivers on resume', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    const alice = await boshUser();
    await alice.send(presence);
    const held = alice.send();
    await delay(50);
    // Client sends: <body pause='6'/>; both requests are answered, the pause one without payloads
    const paused = await alice.send('', { pause: 6 });
    expect((await held).attrs.type).toBeUndefined();
    expect(paused.payloads).toHaveLength(0);
    await bob.xmpp.send(chat(alice.jid, 'while you were away'));
    // 3 s: past the 2 s inactivity, within the pause
    await delay(3000);
    const resumed = await alice.send();
    expect(resumed.payloads.map((p) => p.getChildText('body'))).toEqual(['while you were away']);
    await stopAll(bob);
  });
});

describe('inactivity (§10)', () => {
  it('ends a session without requests for inactivity seconds; contacts see it go unavailable', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const aliceTcp = await online(server, aliceJid!);
    const bob = await online(server, bobJid!);
    await befriend(aliceTcp, bob);
    await aliceTcp.stop();

    const alice = await BoshSession.open(server, { wait: 5 });
    await alice.login(aliceJid!, passwordOf(aliceJid!), 'web');
    const available = bob.next(isPresenceFrom(alice.jid));
    await alice.send(presence);
    await available;
    // the client stops making requests: 2 s later the session ends and Bob is told
    const gone = bob.next(isPresenceFrom(alice.jid, 'unavailable'), 5000);
    const started = Date.now();
    await gone;
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(server.server.sessions.get(alice.jid)).toBeUndefined();
    expect((await alice.send()).attrs).toMatchObject({ type: 'terminate', condition: 'item-not-found' });
    await stopAll(bob);
  });
});

describe('overactivity (§11, §12)', () => {
  it('policy-violation for more simultaneous requests than requests', async () => {
    const alice = await boshUser();
    const base = alice.rid;
    const held = alice.send('', { rid: base + 1 });
    const ahead = alice.send(ping('ahead'), { rid: base + 3 });
    await delay(50);
    const third = await alice.send(ping('third'), { rid: base + 2 });
    expect(third.attrs).toMatchObject({ type: 'terminate', condition: 'policy-violation' });
    // the requests still open learn that another one ended the session
    expect((await held).attrs).toMatchObject({ type: 'terminate', condition: 'other-request' });
    expect((await ahead).attrs).toMatchObject({ type: 'terminate', condition: 'other-request' });
  });

  it('policy-violation for an empty request right behind a held one (§11)', async () => {
    const alice = await boshUser();
    const held = alice.send();
    await delay(50);
    expect((await alice.send()).attrs).toMatchObject({ type: 'terminate', condition: 'policy-violation' });
    expect((await held).attrs.condition).toBe('other-request');
  });

  it('policy-violation for a polling session that polls faster than polling (§12)', async () => {
    const session = await BoshSession.open(server, { hold: 0 });
    expect(session.creation.attrs).toMatchObject({ hold: '0', polling: '2' });
    expect((await session.send()).attrs.type).toBeUndefined();
    expect((await session.send()).attrs).toMatchObject({ type: 'terminate', condition: 'policy-violation' });
  });

  it('policy-violation past bosh.requestsPerSecond, resent requests included', async () => {
    const alice = await boshUser();
    await delay(1000); // a fresh one-second window
    const rid = alice.rid + 1;
    await alice.send(ping('p'), { rid });
    // 30 resends at once (answered from the buffer) against a limit of 20 a second
    const replies = await Promise.all(Array.from({ length: 30 }, () => alice.send(ping('p'), { rid })));
    expect(replies.some((reply) => reply.attrs.condition === 'policy-violation')).toBe(true);
    expect((await alice.send('', { rid: rid + 1 })).attrs.condition).toBe('item-not-found');
  });
});

describe('the server ends a session', () => {
  it('remote-stream-error with <conflict/> when the same resource binds elsewhere', async () => {
    const alice = await boshUser({ resource: 'desk' });
    const held = alice.send();
    await delay(50);
    const tcp = await login(server, alice.account, passwordOf(alice.account), { resource: 'desk' });
    const reply = await held;
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'remote-stream-error' });
    expect(reply.payloads[0]?.name).toBe('stream:error');
    expect(reply.payloads[0]?.getChild('conflict')).toBeDefined();
    await tcp.stop();
  });

  it('system-shutdown on held requests when the server stops', async () => {
    const stopping = await startServer();
    const [jid] = await createUsers(stopping, ['late']);
    const alice = await BoshSession.open(stopping, { wait: 10 });
    await alice.login(jid!, passwordOf(jid!));
    const held = alice.send();
    await delay(50);
    await stopping.stop();
    expect((await held).attrs).toMatchObject({ type: 'terminate', condition: 'system-shutdown' });
  });
});
