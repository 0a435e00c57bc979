// BOSH request ids over raw HTTP (XEP-0124 §9, §14, §15): in-order processing, the rid window,
// resent requests and lost responses, acknowledgements and reports, key sequences.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { BoshSession, delay } from './helpers/bosh.ts';
import { chat, createUsers, isMessage, online, passwordOf, stopAll } from './helpers/im.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

const ping = (id: string) => `<iq type='get' id='${id}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>`;
const message = (to: string, body: string) => `<message to='${to}' type='chat' xmlns='jabber:client'><body>${body}</body></message>`;

async function boshUser(options: { wait?: number; ack?: boolean } = {}): Promise<BoshSession> {
  const [jid] = await createUsers(server, ['web']);
  const session = await BoshSession.open(server, { wait: options.wait ?? 10, ack: options.ack });
  await session.login(jid!, passwordOf(jid!));
  return session;
}

describe('in-order processing (§14.2)', () => {
  it('holds a request that arrives before a lower rid and processes both in rid order', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    const alice = await boshUser({ wait: 2 });
    const base = alice.rid;

    // Client sends rid+2 ("two") before rid+1 ("one"): the server forwards "one" first.
    const second = alice.send(message(bobJid!, 'two'), { rid: base + 2 });
    await delay(50);
    const first = alice.send(message(bobJid!, 'one'), { rid: base + 1 });
    const one = bob.next(isMessage('one'));
    const two = bob.next(isMessage('two'));
    await Promise.all([one, two]);
    const bodies = bob.received.filter((s) => s.is('message')).map((s) => s.getChildText('body'));
    expect(bodies).toEqual(['one', 'two']);
    // both requests are answered: the lower one at once, the newest when 'wait' runs out
    expect((await first).status).toBe(200);
    expect((await second).attrs.type).toBeUndefined();
    await stopAll(bob);
  });

  it('does not take an empty request that fills a gap for overactivity (§11: it is not the newest)', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    const alice = await boshUser({ wait: 1 });
    const base = alice.rid;
    // A full window sent at once: the message (rid+2) overtakes the empty request (rid+1).
    const withMessage = alice.send(message(bobJid!, 'overtaking'), { rid: base + 2 });
    await delay(50);
    const empty = alice.send('', { rid: base + 1 });
    await bob.next(isMessage('overtaking'));
    expect((await empty).attrs.type).toBeUndefined();
    expect((await withMessage).attrs.type).toBeUndefined();
    await stopAll(bob);
  });

  it('terminates with item-not-found for a rid beyond the window', async () => {
    const alice = await boshUser();
    // requests='2': the window is rid+1…rid+2
    const reply = await alice.send('', { rid: alice.rid + 3 });
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'item-not-found' });
    expect((await alice.send('', { rid: alice.rid + 1 })).attrs.condition).toBe('item-not-found');
  });

  it('terminates with item-not-found for a rid too old to be resent', async () => {
    const alice = await boshUser();
    const reply = await alice.send('', { rid: alice.rid - 3 });
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'item-not-found' });
  });
});

describe('broken connections (§14.3)', () => {
  it('answers a repeated rid with the same response again', async () => {
    const alice = await boshUser();
    const rid = alice.rid + 1;
    const original = await alice.send(ping('p1'), { rid });
    expect(original.payloads[0]?.attrs.id).toBe('p1');
    const again = await alice.send(ping('p1'), { rid });
    expect(again.text).toBe(original.text);
  });

  it('delivers a message once when the response carrying it was lost and the request resent', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    const alice = await boshUser();
    await alice.send(`<presence xmlns='jabber:client'/>`);

    // rid+2 is held; the message for Alice goes out on it, and the client "loses" that response
    const rid = alice.rid + 1;
    const held = alice.send('', { rid });
    await delay(50);
    await bob.xmpp.send(chat(alice.jid, 'only once'));
    const lost = await held;
    expect(lost.payloads.map((p) => p.getChildText('body'))).toEqual(['only once']);

    // the client resends the same request: same answer; the next request does not repeat it
    const resent = await alice.send('', { rid });
    expect(resent.text).toBe(lost.text);
    const next = await alice.send(ping('after'), { rid: rid + 1 });
    expect(next.text).not.toContain('only once');
    expect(next.payloads.map((p) => p.attrs.id)).toEqual(['after']);
    await stopAll(bob);
  });

  it('keeps stanzas for a held request whose connection broke, and gives them to its resend', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    const alice = await boshUser();
    await alice.send(`<presence xmlns='jabber:client'/>`);

    const rid = alice.rid + 1;
    const abort = new AbortController();
    const broken = alice.send('', { rid }, { signal: abort.signal }).catch(() => 'aborted');
    await delay(50);
    abort.abort();
    expect(await broken).toBe('aborted');
    await delay(50);
    await bob.xmpp.send(chat(alice.jid, 'kept for you'));
    await delay(50);

    const resent = await alice.send('', { rid });
    expect(resent.payloads.map((p) => p.getChildText('body'))).toEqual(['kept for you']);
    const next = await alice.send(ping('after'), { rid: rid + 1 });
    expect(next.text).not.toContain('kept for you');
    await stopAll(bob);
  });
});

describe('acknowledgements (§9)', () => {
  it('acknowledges a later request when answering a held one (§9.1)', async () => {
    const alice = await boshUser({ ack: true });
    const rid = alice.rid + 1;
    const held = alice.send('', { rid });
    await delay(50);
    void alice.send(ping('p2'), { rid: rid + 1 }); // held in turn until 'wait'
    const answer = await held;
    expect(answer.attrs.ack).toBe(String(rid + 1));
    expect(answer.payloads[0]?.attrs.id).toBe('p2');
  });

  it('reports a response the client never received, then resends it from the buffer (§9.2)', async () => {
    const alice = await boshUser({ ack: true });
    const rid = alice.rid + 1;
    const lost = await alice.send(ping('lost'), { rid });
    await delay(600);
    // the client acknowledges only up to rid - 1: the server answers at once with report/time
    const reply = await alice.send('', { rid: rid + 1, ack: rid - 1 });
    expect(reply.attrs.report).toBe(String(rid));
    expect(Number(reply.attrs.time)).toBeGreaterThanOrEqual(500);
    const resent = await alice.send(ping('lost'), { rid });
    expect(resent.text).toBe(lost.text);
  });
});

describe('key sequence (§15)', () => {
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

  it('accepts the next key of the sequence and terminates on a wrong one', async () => {
    const keys = ['seed'];
    for (let i = 0; i < 4; i++) keys.push(sha1(keys[keys.length - 1]!));
    // K(1)…K(4); the session request carries K(4), each later request the previous key of the chain
    // (a polling session, hold='0', so that every request is answered at once)
    const session = await BoshSession.open(server, { hold: 0, extra: { newkey: keys[4]! } });
    const auth = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NONE'/>`;
    expect((await session.send(auth, { key: keys[3] })).attrs.type).toBeUndefined();
    const wrong = await session.send('', { key: keys[3] });
    expect(wrong.attrs).toMatchObject({ type: 'terminate', condition: 'item-not-found' });
  });
});
