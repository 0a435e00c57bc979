// The live domain list and directory changes from the suite's message bus: a real nats-server
// (Debian's package) on a free loopback port. Domains created on the bus are served at once (with a
// certificate), removed ones end their sessions with host-gone; users, roles and photos follow too.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { befriend, createUsers, online, stopAll, xml, type Element } from './helpers/im.ts';
import {
  SSO_AUDIENCE, SSO_SECRET, hs256Token, oauthBearerLogin, openTls, restartAndBind, startNatsServer, startSuiteServer, type NatsServer,
} from './helpers/suite.ts';

let nats: NatsServer;
let server: TestServer;
let suite: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  server = await startSuiteServer({
    config: { bus: { nats: { servers: [nats.url], subjectPrefix: 'suite' } }, sso: { secret: SSO_SECRET, audience: SSO_AUDIENCE } },
  });
  await server.server.suiteBus!.ready;
  suite = await connect({ servers: nats.url });
});
afterAll(async () => {
  await suite?.close();
  await server?.stop();
  await nats?.stop();
});

/** The suite sends a message as a request and waits until Parley has applied it. */
async function send(type: string, payload: unknown): Promise<unknown> {
  const reply = await suite.request(`suite.${type}`, new TextEncoder().encode(JSON.stringify(payload)), { timeout: 5000 });
  return JSON.parse(new TextDecoder().decode(reply.data));
}

/** Log in by token (OAUTHBEARER over direct TLS) and bind; returns the peer. */
async function tokenSession(jid: string, domain: string, resource = 'sso') {
  const { peer } = await openTls(server, domain);
  expect(await oauthBearerLogin(peer, await hs256Token(jid))).toEqual({ outcome: 'success' });
  expect(await restartAndBind(peer, domain, resource)).toBe(`${jid}/${resource}`);
  return peer;
}

it('serves a domain created on the bus without restart, and ends its sessions when it is removed', async () => {
  expect(await send('domain.created', { domain: 'bus.example', aliases: ['chat.bus.example'] })).toEqual({ ok: true });
  expect(server.server.hosts.has('bus.example')).toBe(true);
  await expect.poll(() => existsSync(join(server.dataDir, 'certs', 'bus.example.crt'))).toBe(true);
  expect(await send('user.created', { jid: 'rita@bus.example', displayName: 'Rita', id: 'suite-user-17' })).toEqual({ ok: true });

  const rita = await tokenSession('rita@bus.example', 'bus.example');
  const viaAlias = await tokenSession('rita@bus.example', 'chat.bus.example', 'phone');

  // the alias list changes: the alias's stream ends, the domain's stays
  expect(await send('domain.aliases', { domain: 'bus.example', aliases: ['talk.bus.example'] })).toEqual({ ok: true });
  expect(await viaAlias.receiveStreamError('host-gone')).toBe('chat.bus.example is no longer served here');
  expect(server.server.hosts.has('talk.bus.example')).toBe(true);

  expect(await send('domain.removed', { domain: 'bus.example' })).toEqual({ ok: true });
  expect(await rita.receiveStreamError('host-gone')).toBe('bus.example is no longer served here'); // RFC 6120 §4.9.3.5
  expect(server.server.hosts.has('talk.bus.example')).toBe(false);
});

it('follows roles and user status from the bus, live', async () => {
  expect(await send('domain.created', { domain: 'roles.example', im: { access: 'restricted' } })).toEqual({ ok: true });
  expect(await send('user.created', { jid: 'sam@roles.example' })).toEqual({ ok: true });
  const { peer } = await openTls(server, 'roles.example');
  expect(await oauthBearerLogin(peer, await hs256Token('sam@roles.example')))
    .toMatchObject({ outcome: 'not-authorized', text: 'instant messaging is not enabled for this account' });
  peer.destroy();

  expect(await send('role.granted', { role: 'im', user: 'sam@roles.example' })).toEqual({ ok: true });
  const sam = await tokenSession('sam@roles.example', 'roles.example');
  expect(await send('role.revoked', { role: 'im', user: 'sam@roles.example' })).toEqual({ ok: true });
  expect(await sam.receiveStreamError('not-authorized')).toBe('instant messaging is not enabled for this account');

  expect(await send('group.created', { group: 'crew' })).toEqual({ ok: true });
  expect(await send('group.member.added', { group: 'crew', jid: 'sam@roles.example' })).toEqual({ ok: true });
  expect(await send('role.granted', { group: 'crew' })).toEqual({ ok: true }); // role defaults to 'im'
  const again = await tokenSession('sam@roles.example', 'roles.example');
  expect(await send('user.disabled', { jid: 'sam@roles.example' })).toEqual({ ok: true });
  expect(await again.receiveStreamError('not-authorized')).toBe('this account is disabled');
  expect(await send('domain.removed', { domain: 'roles.example' })).toEqual({ ok: true });
});

it('announces a photo changed on the bus to online contacts', async () => {
  const [tinaJid, umaJid] = await createUsers(server, ['tina', 'uma']);
  const tina = await online(server, tinaJid!);
  const uma = await online(server, umaJid!, { transport: 'websocket' });
  await befriend(tina, uma);
  const photo = Buffer.from('tina from the address book');
  const hash = createHash('sha1').update(photo).digest('hex');
  const announced = uma.next((s: Element) => s.is('presence') && s.attrs.from === tina.jid && s.getChild('x', 'vcard-temp:x:update')?.getChildText('photo') === hash);
  expect(await send('user.photo', { jid: tinaJid, photo: { type: 'image/png', data: photo.toString('base64') } })).toEqual({ ok: true });
  await announced;
  const card = await uma.xmpp.iqCaller.request(xml('iq', { type: 'get', to: tinaJid }, xml('vCard', { xmlns: 'vcard-temp' })));
  expect(card.getChild('vCard')!.getChild('PHOTO')!.getChildText('BINVAL')).toBe(photo.toString('base64'));
  await stopAll(tina, uma);
});

it('answers a bad message with an error and keeps going; plain publishes work too', async () => {
  expect(await send('domain.created', { domian: 'typo.example' })).toMatchObject({ error: expect.stringMatching(/^invalid payload: domain:/) });
  expect(await send('user.exploded', { jid: 'x@example.com' })).toEqual({ error: 'unknown message type user.exploded' });
  expect(await send('user.disabled', { jid: 'ghost@example.com' })).toEqual({ error: 'ghost@example.com does not exist' });
  suite.publish('suite.domain.created', new TextEncoder().encode(JSON.stringify({ domain: 'published.example' })));
  await expect.poll(() => server.server.hosts.has('published.example')).toBe(true);
});
