// The admin HTTP API: JSON under /admin/api/, off unless configured, a bearer token or an admin JWT.
// Domains served and removed live, users, groups, roles (the CLI shares the service: suite-cli.test.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, online } from './helpers/im.ts';
import { bindRequest, connectTcp, scramAuthenticate, NS } from './helpers/raw-stream.ts';
import { ADMIN_TOKEN, api, hs256Token, startSuiteServer, streamErrorOf } from './helpers/suite.ts';
import { requestByName } from './helpers/by-name.ts';

const ADMIN_JWT_SECRET = 'admin-jwt-secret-0123456789abcdef0123456789';

describe('the admin API is never open by default', () => {
  it('answers 404 when no admin token or JWT is configured', async () => {
    const plain = await startServer();
    try {
      const answer = await api(plain, 'GET', 'domains');
      expect(answer.status).toBe(404);
      expect(await api(plain, 'POST', 'domains', { name: 'evil.example' })).toMatchObject({ status: 404 });
      expect(plain.server.hosts.has('evil.example')).toBe(false);
    } finally {
      await plain.stop();
    }
  });
});

describe('the admin API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startSuiteServer({
      config: { http: { tlsPort: 0 }, admin: { token: ADMIN_TOKEN, jwt: { secret: ADMIN_JWT_SECRET, audience: 'parley-admin' } } },
    });
  });
  afterAll(() => server.stop());

  it('wants the admin token or an admin JWT', async () => {
    expect(await api(server, 'GET', 'domains', undefined, null)).toMatchObject({ status: 401 });
    expect(await api(server, 'GET', 'domains', undefined, 'wrong-token')).toMatchObject({ status: 401 });
    const jwt = await hs256Token('admin@example.com', { secret: ADMIN_JWT_SECRET, audience: 'parley-admin' });
    expect(await api(server, 'GET', 'domains', undefined, jwt)).toMatchObject({ status: 200 });
    const userToken = await hs256Token('admin@example.com', { secret: ADMIN_JWT_SECRET, audience: 'parley' });
    expect(await api(server, 'GET', 'domains', undefined, userToken))
      .toEqual({ status: 401, body: { error: 'the token is not meant for this service' } });
    const expired = await hs256Token('admin@example.com', { secret: ADMIN_JWT_SECRET, audience: 'parley-admin', expiresIn: -100 });
    expect(await api(server, 'GET', 'domains', undefined, expired)).toMatchObject({ status: 401 });
    // the HTTPS listener serves it too (the plain one only to loopback clients)
    const overTls = await requestByName(`https://127.0.0.1:${server.ports.https}/admin/api/domains/example.com`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(overTls.status).toBe(200);
    expect(JSON.parse(overTls.body)).toMatchObject({ name: 'example.com' });
  });

  it('says what is wrong with a request: 400, 404, 409', async () => {
    expect(await api(server, 'POST', 'domains', { name: 'x.example', colour: 'red' })).toMatchObject({ status: 400, body: { error: 'invalid request' } });
    expect(await api(server, 'GET', 'users/nobody@example.com')).toEqual({ status: 404, body: { error: 'nobody@example.com does not exist' } });
    expect(await api(server, 'GET', 'no/such/thing')).toMatchObject({ status: 404 });
    expect(await api(server, 'POST', 'users', { jid: 'zoe@elsewhere.example' }))
      .toEqual({ status: 400, body: { error: 'elsewhere.example is not served here; add it first with: parley domain add elsewhere.example' } });
    expect(await api(server, 'POST', 'users', { jid: 'zoe@example.com' })).toMatchObject({ status: 201 });
    expect(await api(server, 'POST', 'users', { jid: 'zoe@example.com' })).toEqual({ status: 409, body: { error: 'zoe@example.com already exists' } });
  });

  it('serves a new domain at once (with its certificate and aliases), and ends its sessions when removed', async () => {
    const created = await api(server, 'POST', 'domains', { name: 'new.example', aliases: ['chat.new.example'], im: { access: 'restricted' } });
    expect(created).toEqual({
      status: 201,
      body: {
        name: 'new.example', aliases: ['chat.new.example'], im: { enabled: true, access: 'restricted', allowedUsers: [], allowedGroups: [] },
        federation: { enabled: true, certificates: 'default', allow: [], deny: [] },
      },
    });
    expect(server.server.hosts.has('new.example')).toBe(true);
    expect(server.server.hosts.canonical('chat.new.example')).toBe('new.example');
    await expect.poll(() => existsSync(join(server.dataDir, 'certs', 'new.example.crt'))).toBe(true);

    // a user with the IM role through a group, created over the API
    expect(await api(server, 'POST', 'users', { jid: 'nina@new.example', password: 'nina-secret', displayName: 'Nina' })).toMatchObject({ status: 201 });
    expect(await api(server, 'POST', 'groups', { name: 'staff' })).toMatchObject({ status: 201 });
    expect(await api(server, 'POST', 'groups/staff/members', { jid: 'nina@new.example' })).toMatchObject({ status: 200, body: { members: ['nina@new.example'] } });
    expect(await api(server, 'POST', 'roles/grant', { role: 'im', group: 'staff' })).toEqual({ status: 200, body: { granted: true } });
    expect((await api(server, 'GET', 'users/nina@new.example')).body).toMatchObject({ jid: 'nina@new.example', displayName: 'Nina', groups: ['staff'], enabled: true });

    // Nina logs in (TLS, SNI for the new domain) and binds; removing the domain ends it with host-gone.
    const peer = await connectTcp(server.ports.c2sTls!, { tls: true, servername: 'new.example' });
    expect((peer.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN).toBe('new.example');
    peer.openStream({ to: 'new.example' });
    await peer.receiveHeader();
    await peer.receiveFeatures();
    expect((await scramAuthenticate(peer, 'nina', 'nina-secret')).name).toBe('success');
    peer.openStream({ to: 'new.example' });
    await peer.receiveHeader();
    await peer.receiveFeatures();
    peer.send(bindRequest('desk'));
    expect((await peer.receive('iq')).getChild('bind', NS.bind)?.getChildText('jid')).toBe('nina@new.example/desk');

    expect(await api(server, 'DELETE', 'domains/new.example')).toEqual({ status: 200, body: { removed: 'new.example' } });
    // RFC 6120 §4.9.3.5 host-gone
    expect(await peer.receiveStreamError('host-gone')).toBe('new.example is no longer served here');
    expect(server.server.hosts.has('chat.new.example')).toBe(false);
    expect(await api(server, 'GET', 'domains/new.example')).toMatchObject({ status: 404 });
  });

  it('manages users: disable (sessions end), display name, addresses, card', async () => {
    const [omarJid] = await createUsers(server, ['omar']);
    const omar = await online(server, omarJid!);
    const ended = streamErrorOf(omar);
    expect(await api(server, 'PATCH', `users/${omarJid}`, { enabled: false })).toMatchObject({ status: 200, body: { enabled: false } });
    expect((await ended).condition).toBe('not-authorized');
    expect(await api(server, 'PATCH', `users/${omarJid}`, { enabled: true, displayName: 'Omar K.' }))
      .toMatchObject({ status: 200, body: { enabled: true, displayName: 'Omar K.' } });
    expect(await api(server, 'POST', `users/${omarJid}/emails`, { address: 'omar.k@example.com' }))
      .toMatchObject({ body: { emails: [omarJid, 'omar.k@example.com'] } });
    expect(await api(server, 'PUT', `users/${omarJid}/card`, { title: 'Driver', tels: [{ number: '+1 555 0199' }] }))
      .toEqual({ status: 200, body: { title: 'Driver', tels: [{ number: '+1 555 0199' }] } });
    expect(await api(server, 'GET', 'domains/example.com/users')).toMatchObject({ status: 200 });
    expect(await api(server, 'DELETE', `users/${omarJid}`)).toEqual({ status: 200, body: { deleted: omarJid } });
  });
});
