// XEP-0077 in-band registration: off by default, open per domain (modules.register.domains), with
// a rate limit per address and the admin service's name rules (RFC 7622 PRECIS); password change and
// cancellation after login. slixmpp's xep_0077 plugin registers and logs in; raw streams show the
// protocol and each refusal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp, NS, scramAuthenticate, restartAndBind, type TcpPeer } from './helpers/raw-stream.ts';
import { login } from './helpers/clients.ts';
import { slixmpp } from './helpers/slixmpp.ts';
import { iq, iqError, xml } from './helpers/im.ts';

const NS_REGISTER = 'jabber:iq:register';
const NS_FEATURE = 'http://jabber.org/features/iq-register';
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    domains: ['open.example', 'closed.example'],
    users: { 'taken@open.example': 'a secret 123' },
    config: { modules: { register: { domains: ['open.example'], perAddressPerMinute: 50 } } },
  });
});
afterAll(() => server?.stop());

/** RFC 6120 §5.4: STARTTLS, then the stream restarted to `domain`; its new features. */
async function startTls(peer: TcpPeer, domain: string) {
  peer.send(`<starttls xmlns='${NS.tls}'/>`);
  await peer.receive('proceed', NS.tls);
  await peer.startTls(domain);
  peer.openStream({ to: domain });
  await peer.receiveHeader();
  return peer.receiveFeatures();
}

/** A stream to `domain` after STARTTLS, not authenticated: its features. */
async function unauthenticated(domain: string): Promise<{ peer: TcpPeer; features: ReturnType<TcpPeer['receive']> extends Promise<infer E> ? E : never }> {
  const peer = await connectTcp(server.ports.c2s);
  peer.openStream({ to: domain });
  await peer.receiveHeader();
  await peer.receiveFeatures();
  return { peer, features: await startTls(peer, domain) };
}

function registration(username: string, password: string, id = 'reg-1'): string {
  return `<iq type='set' id='${id}'><query xmlns='${NS_REGISTER}'><username>${username}</username><password>${password}</password></query></iq>`;
}

async function errorOf(peer: TcpPeer): Promise<{ type?: string; condition?: string; text?: string }> {
  const reply = await peer.receive('iq');
  expect(reply.attrs.type).toBe('error');
  const error = reply.getChild('error')!;
  const condition = error.children.find((child) => typeof child !== 'string' && child.attrs.xmlns === NS.stanzas && child.name !== 'text');
  return { type: error.attrs.type, condition: typeof condition === 'string' ? undefined : condition?.name, text: error.getChildText('text') ?? undefined };
}

describe('before authentication (XEP-0077 §3.1)', () => {
  it('an open domain announces registration and answers the form; a closed one does neither (service-unavailable)', async () => {
    const open = await unauthenticated('open.example');
    expect(open.features.getChild('register', NS_FEATURE)).toBeDefined();
    open.peer.send(`<iq type='get' id='form-1' to='open.example'><query xmlns='${NS_REGISTER}'/></iq>`);
    const form = await open.peer.receive('iq');
    expect(form.attrs).toMatchObject({ type: 'result', id: 'form-1' });
    const query = form.getChild('query', NS_REGISTER)!;
    expect(query.getChild('username')).toBeDefined();
    expect(query.getChild('password')).toBeDefined();
    expect(query.getChildText('instructions')).toBeTruthy();
    open.peer.destroy();

    const closed = await unauthenticated('closed.example');
    expect(closed.features.getChild('register', NS_FEATURE)).toBeUndefined();
    closed.peer.send(`<iq type='get' id='form-2'><query xmlns='${NS_REGISTER}'/></iq>`);
    expect(await errorOf(closed.peer)).toMatchObject({ condition: 'service-unavailable', type: 'cancel' });
    closed.peer.send(registration('newcomer', 'long enough 1'));
    expect(await errorOf(closed.peer)).toMatchObject({ condition: 'service-unavailable' });
    closed.peer.destroy();
  });

  it('registers an account that then logs in on the same stream (SCRAM)', async () => {
    const { peer } = await unauthenticated('open.example');
    peer.send(registration('Rita', 'rita password 1'));
    expect((await peer.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'reg-1' });
    // RFC 7622 UsernameCaseMapped: the account is rita
    expect(await scramAuthenticate(peer, 'rita', 'rita password 1')).toMatchObject({ name: 'success' });
    expect(await restartAndBind(peer, { to: 'open.example' })).toMatch(/^rita@open\.example\//);
    peer.destroy();
  });

  it('refuses a taken name (conflict), missing fields (not-acceptable), a short password, a look-alike name', async () => {
    const { peer } = await unauthenticated('open.example');
    peer.send(registration('taken', 'a long password'));
    expect(await errorOf(peer)).toMatchObject({ condition: 'conflict', type: 'cancel' });
    peer.send(`<iq type='set' id='reg-2'><query xmlns='${NS_REGISTER}'><username>nopass</username></query></iq>`);
    expect(await errorOf(peer)).toMatchObject({ condition: 'not-acceptable', type: 'modify' });
    peer.send(registration('shorty', 'short'));
    expect(await errorOf(peer)).toMatchObject({ condition: 'not-acceptable', text: 'the password must have at least 8 characters' });
    // U+202E RIGHT-TO-LEFT OVERRIDE: refused by PRECIS, the reason names it
    peer.send(registration('evil\u202Eexe', 'a long password'));
    const lookAlike = await errorOf(peer);
    expect(lookAlike.condition).toBe('not-acceptable');
    expect(lookAlike.text).toMatch(/U\+202E/);
    // nothing but iqs of a registered namespace before authentication
    peer.send(`<iq type='get' id='v-1'><query xmlns='jabber:iq:version'/></iq>`);
    await peer.receiveStreamError('not-authorized');
  });

  it('limits registrations per address (policy-violation, type wait)', async () => {
    const limited = await startServer({ domains: ['open.example'], config: { modules: { register: { domains: ['open.example'], perAddressPerMinute: 2 } } } });
    try {
      const peer = await connectTcp(limited.ports.c2s);
      peer.openStream({ to: 'open.example' });
      await peer.receiveHeader();
      await peer.receiveFeatures();
      await startTls(peer, 'open.example');
      const answers: string[] = [];
      for (let i = 0; i < 3; i++) {
        peer.send(registration(`burst${i}`, 'burst password', `burst-${i}`));
        const reply = await peer.receive('iq');
        const error = reply.getChild('error');
        answers.push(error ? `${error.attrs.type} ${(error.children[0] as { name: string }).name}` : reply.attrs.type!);
      }
      expect(answers).toEqual(['result', 'result', 'wait policy-violation']);
      expect(await limited.server.storage.accounts.get('burst2@open.example')).toBeNull();
      peer.destroy();
    } finally {
      await limited.stop();
    }
  });
});

describe('after authentication (XEP-0077 §3.2, §3.3)', () => {
  it('changes the password and cancels the registration, which ends the session', async () => {
    const admin = server.server.admin;
    await admin.addUser('leaver@open.example', { password: 'first password' });
    const client = await login(server, 'leaver@open.example', 'first password');
    const registered = await iq(client, 'get', xml('query', { xmlns: NS_REGISTER }), 'open.example');
    expect(registered.getChild('query', NS_REGISTER)!.getChild('registered')).toBeDefined();
    expect((await iqError(client, 'set', xml('query', { xmlns: NS_REGISTER }, xml('username', {}, 'someone-else'), xml('password', {}, 'x password')), 'open.example')).condition)
      .toBe('not-authorized');
    await iq(client, 'set', xml('query', { xmlns: NS_REGISTER }, xml('username', {}, 'leaver'), xml('password', {}, 'second password')), 'open.example');
    await client.stop();
    await expect(login(server, 'leaver@open.example', 'first password')).rejects.toThrow();
    const { peer } = await unauthenticated('open.example');
    expect(await scramAuthenticate(peer, 'leaver', 'second password')).toMatchObject({ name: 'success' });
    await restartAndBind(peer, { to: 'open.example' });
    peer.send(`<iq type='set' id='remove-1' to='open.example'><query xmlns='${NS_REGISTER}'><remove/></query></iq>`);
    expect((await peer.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'remove-1' });
    // RFC 6120 §4.9.3.12: the account is gone, so is its authorization for this stream
    await peer.receiveStreamError('not-authorized');
    expect(await server.server.storage.accounts.get('leaver@open.example')).toBeNull();
  });
});

describe('slixmpp (xep_0077)', () => {
  it('registers and logs in; a second registration of the name gets conflict', { timeout: 60_000 }, async () => {
    const spec = { scenario: 'register', jid: 'slix@open.example', password: 'slixmpp secret', host: '127.0.0.1', port: server.ports.c2s };
    expect(await slixmpp(spec)).toMatchObject({ registered: true, loggedIn: true, fields: ['username', 'password'] });
    expect(await slixmpp({ ...spec, password: 'another secret' })).toMatchObject({ error: 'conflict', type: 'cancel' });
  });
});
