// The admin API's resources for the admin console (admin/sessions.ts, certificates.ts, dns-status.ts,
// archive-status.ts, figures.ts, sign-in.ts), each through real sockets: a signed-in @xmpp/client
// kicked off, a certificate uploaded and then presented to a new TLS connection, the DNS check against
// a test unbound, the archive reindex against an Elasticsearch that does not answer, the live figures
// moving, and admin accounts signing in with SASL PLAIN.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login, xml } from './helpers/clients.ts';
import { api, startSuiteServer, streamErrorOf } from './helpers/suite.ts';
import { createRoom, join as joinRoom, roomJid } from './helpers/muc.ts';
import { selfSignedCertificate, createTestCa } from './helpers/test-ca.ts';
import { startDns, type TestDns } from './helpers/unbound.ts';
import { ensureWebClientBuilt, webClientDir } from './helpers/browser.ts';
import { freePortBelowEphemeral as freePort } from './helpers/ports.ts';
import { presentedFingerprint } from './helpers/test-tls.ts';

const plainMessage = (jid: string, password: string) => Buffer.from(`\0${jid}\0${password}`).toString('base64');

describe('the admin console API', () => {
  let server: TestServer;
  let scratch: string;
  let closedPort: number;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'parley-admin-console-'));
    closedPort = await freePort();
    server = await startSuiteServer({
      users: { 'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret', 'root@example.com': 'root-secret' },
      config: {
        admin: { accounts: { enabled: true } },
        // nothing listens there: a reindex fails, and says why
        archive: { elasticsearch: { nodes: [`http://127.0.0.1:${closedPort}`], requestTimeoutMs: 1000 } },
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("lists a user's sessions and kicks one off with policy-violation; the others stay", async () => {
    const laptop = await login(server, 'alice@example.com', 'alice-secret', { resource: 'laptop' });
    const phone = await login(server, 'alice@example.com', 'alice-secret', { resource: 'phone' });
    try {
      await laptop.xmpp.send(xml('presence', null, xml('show', null, 'away'), xml('status', null, 'Lunch')));
      await expect.poll(async () => (await api(server, 'GET', 'users/alice@example.com/sessions')).body).toEqual(expect.arrayContaining([
        expect.objectContaining({ resource: 'laptop', jid: 'alice@example.com/laptop', available: true, show: 'away', status: 'Lunch', transport: 'tcp', hibernatedUntil: null }),
        expect.objectContaining({ resource: 'phone', available: true, show: '' }),
      ]));
      const ended = streamErrorOf(laptop);
      expect(await api(server, 'DELETE', 'users/alice@example.com/sessions/laptop')).toEqual({ status: 200, body: { kicked: ['alice@example.com/laptop'] } });
      expect(await ended).toEqual({ condition: 'policy-violation', text: 'the session was ended by an administrator' });
      const left = await api(server, 'GET', 'users/alice@example.com/sessions');
      expect((left.body as Array<{ resource: string }>).map((session) => session.resource)).toEqual(['phone']);
      // the phone still works
      await phone.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'example.com');
      expect(await api(server, 'DELETE', 'users/alice@example.com/sessions/laptop')).toEqual({ status: 404, body: { error: 'alice@example.com/laptop is not signed in' } });
      // a resource may hold a slash (RFC 7622 §3.4; Bind 2's '<tag>/<id>', XEP-0386 §3.2.1): URL-encoded in the path
      const resource = 'home/tablet';
      const tablet = await login(server, 'alice@example.com', 'alice-secret', { resource });
      const tabletEnded = streamErrorOf(tablet);
      expect(await api(server, 'DELETE', `users/alice@example.com/sessions/${encodeURIComponent(resource)}`)).toEqual({ status: 200, body: { kicked: [tablet.jid] } });
      expect((await tabletEnded).condition).toBe('policy-violation');
      await tablet.stop().catch(() => {});
      expect(await api(server, 'GET', 'users/nobody@example.com/sessions')).toMatchObject({ status: 404 });
    } finally {
      await laptop.stop().catch(() => {});
      await phone.stop();
    }
  });

  it('shows the certificate a domain serves, refuses a pair that cannot serve it, and serves an uploaded one at once', async () => {
    const before = await api(server, 'GET', 'domains/example.com/certificate');
    expect(before).toMatchObject({ status: 200, body: { name: 'example.com', selfSigned: true, state: 'ok', problems: [] } });
    const served = before.body as { names: string[]; fingerprint256: string; daysLeft: number };
    expect(served.names).toContain('example.com');
    expect(served.daysLeft).toBeGreaterThan(300);
    expect(await presentedFingerprint(server, 'example.com')).toBe(served.fingerprint256);

    const other = await selfSignedCertificate('other.example', join(scratch, 'other'));
    const mine = await selfSignedCertificate('example.com', join(scratch, 'mine'));
    const wrongName = await api(server, 'PUT', 'domains/example.com/certificate', { certificate: other.certPem, key: other.keyPem });
    expect(wrongName.status).toBe(400);
    expect((wrongName.body as { error: string }).error).toMatch(/^the certificate cannot serve example\.com: .*example\.com/);
    const wrongKey = await api(server, 'PUT', 'domains/example.com/certificate', { certificate: mine.certPem, key: other.keyPem });
    expect(wrongKey).toMatchObject({ status: 400, body: { error: expect.stringMatching(/key does not match/) } });
    expect(await api(server, 'PUT', 'domains/example.com/certificate', { certificate: 'not a certificate', key: 'nor a key' })).toMatchObject({ status: 400, body: { error: 'invalid request' } });
    expect(await presentedFingerprint(server, 'example.com')).toBe(served.fingerprint256);

    const replaced = await api(server, 'PUT', 'domains/example.com/certificate', { certificate: mine.certPem, key: mine.keyPem });
    expect(replaced).toMatchObject({ status: 200, body: { name: 'example.com', state: 'ok' } });
    const now = (replaced.body as { fingerprint256: string }).fingerprint256;
    expect(now).not.toBe(served.fingerprint256);
    expect(await presentedFingerprint(server, 'example.com')).toBe(now);
    expect(await api(server, 'GET', 'domains/nowhere.example/certificate')).toEqual({ status: 404, body: { error: 'nowhere.example is not served here' } });
  });

  it('says what the archive holds, and reports a reindex that cannot reach Elasticsearch as failed with the reason', async () => {
    const bob = await login(server, 'bob@example.com', 'bob-secret');
    try {
      await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'archived, twice')));
      await expect.poll(async () => ((await api(server, 'GET', 'archive')).body as { entries: number }).entries).toBeGreaterThanOrEqual(2);
    } finally {
      await bob.stop();
    }
    expect(await api(server, 'GET', 'archive')).toMatchObject({
      status: 200, body: { enabled: true, backend: 'sqlite', queued: null, elasticsearch: { nodes: [`http://127.0.0.1:${closedPort}`], index: 'parley-archive' } },
    });
    expect(await api(server, 'GET', 'archive/reindex')).toEqual({ status: 200, body: { state: 'never' } });
    const started = await api(server, 'POST', 'archive/reindex', {});
    expect(started).toMatchObject({ status: 201, body: { state: 'running', index: 'parley-archive' } });
    await expect.poll(async () => ((await api(server, 'GET', 'archive/reindex')).body as { state: string }).state, { timeout: 15_000 }).toBe('failed');
    const failed = (await api(server, 'GET', 'archive/reindex')).body as { error: string };
    expect(failed.error).toMatch(/ECONNREFUSED|connect|No Living connections/i);
    expect(await api(server, 'POST', 'archive/reindex', { wipe: true })).toMatchObject({ status: 400 });
  });

  it('gives the live figures /metrics reads, and they move', async () => {
    const first = (await api(server, 'GET', 'figures')).body as { stanzas: { received: Record<string, number> }; sessions: { active: number } };
    const bob = await login(server, 'bob@example.com', 'bob-secret');
    try {
      for (let i = 0; i < 3; i++) await bob.xmpp.iqCaller.get(xml('ping', { xmlns: 'urn:xmpp:ping' }), 'example.com');
      const after = (await api(server, 'GET', 'figures')).body as typeof first & { signIns: { success: number }; uptimeSeconds: number };
      expect(after.sessions.active).toBe(first.sessions.active + 1);
      expect(after.stanzas.received.iq! - (first.stanzas.received.iq ?? 0)).toBeGreaterThanOrEqual(3);
      expect(after.signIns.success).toBeGreaterThanOrEqual(1);
      expect(after.uptimeSeconds).toBeGreaterThanOrEqual(0);
    } finally {
      await bob.stop();
    }
  });

  it('gives the federation links and the live rooms among the figures', async () => {
    type WithFeatures = { s2s: { ready: { outgoing: number; incoming: number }; connecting: number; domainPairs: number; queued: number } | null; muc: { rooms: number; occupants: number } | null };
    const figures = async () => (await api(server, 'GET', 'figures')).body as WithFeatures;
    const first = await figures();
    // federation is on (no peer here: nothing linked), and so is the MUC service
    expect(first.s2s).toEqual({ ready: { outgoing: 0, incoming: 0 }, connecting: 0, domainPairs: 0, queued: 0 });
    expect(first.muc).toEqual({ rooms: expect.any(Number), occupants: expect.any(Number) });
    const alice = await login(server, 'alice@example.com', 'alice-secret');
    const bob = await login(server, 'bob@example.com', 'bob-secret');
    try {
      await createRoom(alice, roomJid('figures'), 'Alice');
      await joinRoom(bob, roomJid('figures'), 'Bob');
      expect((await figures()).muc).toEqual({ rooms: first.muc!.rooms + 1, occupants: first.muc!.occupants + 2 });
    } finally {
      await bob.stop();
      await alice.stop();
    }
    await expect.poll(async () => (await figures()).muc).toEqual(first.muc);
  });

  it("names a group's room once it has one", async () => {
    await api(server, 'POST', 'groups', { name: 'staff' });
    expect(await api(server, 'GET', 'groups/staff/room')).toEqual({ status: 200, body: { group: 'staff', room: null } });
    expect(await api(server, 'PUT', 'groups/staff/room', { room: 'staff@conference.example.com' })).toMatchObject({ status: 200 });
    await expect.poll(async () => (await api(server, 'GET', 'groups/staff/room')).body).toEqual({ group: 'staff', room: 'staff@conference.example.com' });
    expect(await api(server, 'GET', 'groups/nobody/room')).toMatchObject({ status: 404 });
  });

  it('signs an admin account in with SASL PLAIN; a wrong password, a non-admin and a revoked admin are refused', async () => {
    const signIn = (jid: string, password: string) => api(server, 'POST', 'sign-in', { mechanism: 'PLAIN', response: plainMessage(jid, password) }, null);
    expect(await api(server, 'GET', 'sign-in', undefined, null)).toEqual({ status: 200, body: { token: true, jwt: false, password: true } });
    expect(await signIn('root@example.com', 'wrong')).toMatchObject({ status: 401, body: { condition: 'not-authorized' } });
    expect(await signIn('root@example.com', 'root-secret')).toEqual({ status: 401, body: { condition: 'not-authorized', error: 'this account is not an administrator' } });
    expect(await api(server, 'POST', 'sign-in', { mechanism: 'SCRAM-SHA-1', response: 'eA==' }, null)).toMatchObject({ status: 400 });
    expect(await api(server, 'POST', 'roles/grant', { role: 'admin', user: 'root@example.com' })).toEqual({ status: 200, body: { granted: true } });
    const session = await signIn('root@example.com', 'root-secret');
    expect(session).toMatchObject({ status: 200, body: { jid: 'root@example.com', token: expect.any(String), expiresAt: expect.any(String) } });
    const token = (session.body as { token: string }).token;
    expect(await api(server, 'GET', 'domains', undefined, token)).toMatchObject({ status: 200 });
    // a forged session (signed with another secret) is not one
    const [header, payload] = token.split('.');
    expect(await api(server, 'GET', 'domains', undefined, `${header}.${payload}.AAAA`)).toMatchObject({ status: 401 });
    expect(await api(server, 'POST', 'roles/revoke', { role: 'admin', user: 'root@example.com' }, token)).toEqual({ status: 200, body: { revoked: true } });
    expect(await api(server, 'GET', 'domains', undefined, token)).toMatchObject({ status: 401 });
  });
});

describe('the admin console page', () => {
  it('is served at /admin/ when admin authentication is configured', async () => {
    ensureWebClientBuilt();
    const admin = await startSuiteServer({ config: { http: { webClientDir } } });
    try {
      const page = await fetch(`http://127.0.0.1:${admin.ports.http}/admin/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await page.text();
      expect(html).toContain('<title>Parley admin</title>');
      // its own bundle, from the web client's assets
      const script = /src="(\/assets\/admin-[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(`http://127.0.0.1:${admin.ports.http}${script}`)).status).toBe(200);
      const moved = await fetch(`http://127.0.0.1:${admin.ports.http}/admin`, { redirect: 'manual' });
      expect([moved.status, moved.headers.get('location')]).toEqual([301, '/admin/']);
    } finally {
      await admin.stop();
    }
  });

  it('is served with admin accounts alone (no token, no JWT): only their sign-in is offered', async () => {
    const accountsOnly = await startSuiteServer({ users: { 'root@example.com': 'root-secret' }, config: { admin: { token: undefined, accounts: { enabled: true } } } });
    try {
      expect(await api(accountsOnly, 'GET', 'sign-in', undefined, null)).toEqual({ status: 200, body: { token: false, jwt: false, password: true } });
      expect(await api(accountsOnly, 'GET', 'domains')).toMatchObject({ status: 401 });
      await accountsOnly.server.admin.grantRole('admin', { user: 'root@example.com' });
      const session = await api(accountsOnly, 'POST', 'sign-in', { mechanism: 'PLAIN', response: plainMessage('root@example.com', 'root-secret') }, null);
      expect(await api(accountsOnly, 'GET', 'domains', undefined, (session.body as { token: string }).token)).toMatchObject({ status: 200 });
    } finally {
      await accountsOnly.stop();
    }
  });

  it('is not served without admin authentication', async () => {
    const plain = await startServer({ config: { http: { webClientDir } } });
    try {
      for (const path of ['/admin/', '/admin/index.html', '/admin/api/sign-in']) {
        expect((await fetch(`http://127.0.0.1:${plain.ports.http}${path}`)).status, path).toBe(404);
      }
    } finally {
      await plain.stop();
    }
  });
});

describe('the DNS check per domain', () => {
  let dns: TestDns;
  let server: TestServer;
  let scratch: string;
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'parley-admin-dns-'));
    dns = await startDns({});
    const ca = await createTestCa(join(scratch, 'ca'));
    server = await startSuiteServer({
      domains: ['chat.example', 'bare.example'],
      config: { dns: { servers: [dns.server], timeoutMs: 2000 }, s2s: { trustedCaFile: ca.certFile } },
    });
    const { c2s, c2sTls, s2s } = server.ports;
    await dns.setZone('chat.example', [
      `_xmpp-client._tcp.chat.example. 60 IN SRV 5 0 ${c2s} xmpp.chat.example.`,
      `_xmpps-client._tcp.chat.example. 60 IN SRV 5 0 ${c2sTls} xmpp.chat.example.`,
      `_xmpp-server._tcp.chat.example. 60 IN SRV 5 0 ${s2s} xmpp.chat.example.`,
      'xmpp.chat.example. 60 IN A 127.0.0.1',
    ]);
    await dns.setZone('bare.example', ['bare.example. 60 IN A 127.0.0.1']);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    await dns?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('finds every record in place (the self-signed certificate a note), and names what a domain without records lacks', async () => {
    const good = await api(server, 'GET', 'domains/chat.example/dns');
    const body = good.body as { zone: string[]; records: Array<{ service: string; answers: string[]; problems: string[]; notes: string[] }> };
    expect(body.records.flatMap((record) => record.problems)).toEqual([]);
    expect(good).toMatchObject({ status: 200, body: { domain: 'chat.example', servers: [dns.server], ok: true } });
    expect(body.zone).toContain(`_xmpp-client._tcp.chat.example. 86400 IN SRV 5 0 ${server.ports.c2s} chat.example.`);
    const client = body.records.find((record) => record.service === '_xmpp-client')!;
    expect(client.answers).toEqual([`5 0 ${server.ports.c2s} xmpp.chat.example.`]);
    expect(client.notes.join(' ')).toMatch(/self-signed|not trusted/i);

    const bare = await api(server, 'GET', 'domains/bare.example/dns');
    expect(bare).toMatchObject({ status: 200, body: { ok: false } });
    const records = (bare.body as { records: Array<{ lookupError: string | null; problems: string[] }> }).records;
    expect(records.every((record) => record.lookupError !== null && record.problems.length > 0)).toBe(true);
    expect(await api(server, 'GET', 'domains/elsewhere.example/dns')).toMatchObject({ status: 404 });
  });
});
