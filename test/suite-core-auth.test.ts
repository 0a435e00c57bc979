// Core auth backend: passwords are checked by the suite's core over HTTP. SCRAM cannot work without
// local verifiers, so PLAIN (TLS only) and OAUTHBEARER are offered. A core that is slow or down gives
// <temporary-auth-failure/> (RFC 6120 §6.5.11) — never a crash, never a wrong answer.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { plainAuth } from './helpers/raw-stream.ts';
import {
  SSO_AUDIENCE, SSO_SECRET, closedPort, mechanismsOf, openTls, startHttpStub, startSuiteServer, type HttpStub,
} from './helpers/suite.ts';

type Mode = 'up' | 'slow' | 'broken';
let mode: Mode = 'up';
let core: HttpStub;
let server: TestServer;

/** The suite's core: alice's password is 'core-password'; 'slow' answers after the server gave up. */
function coreAnswer(body: string): number {
  const { username, password } = JSON.parse(body) as { username: string; password: string };
  return username === 'alice@example.com' && password === 'core-password' ? 204 : 401;
}

beforeAll(async () => {
  core = await startHttpStub((_req, body, res) => {
    if (mode === 'broken') return void res.writeHead(500).end('oops');
    const status = coreAnswer(body);
    if (mode === 'slow') return void setTimeout(() => res.writeHead(status).end(), 1500);
    res.writeHead(status).end();
  });
  server = await startSuiteServer({
    users: { 'alice@example.com': 'local-password-is-ignored' },
    config: {
      coreAuth: { url: `${core.url}/auth/check`, timeoutMs: 300, cacheSeconds: 60 },
      sso: { secret: SSO_SECRET, audience: SSO_AUDIENCE },
    },
  });
});
afterAll(async () => {
  await server.stop();
  await core.close();
});
beforeEach(() => { mode = 'up'; });

async function plainLogin(target: TestServer, username: string, password: string) {
  const { peer } = await openTls(target);
  peer.send(plainAuth(username, password));
  const item = await peer.next(3000);
  peer.destroy();
  if (item.kind !== 'element') throw new Error(`expected the SASL outcome, got ${item.kind}`);
  const answer = item.element;
  if (answer.name === 'success') return { outcome: 'success' };
  return { outcome: answer.getChildElements().find((child) => child.name !== 'text')?.name, text: answer.getChildText('text') ?? undefined };
}

describe('passwords checked by the core', () => {
  it('offers PLAIN (on TLS) and OAUTHBEARER, not SCRAM', async () => {
    const { peer, features } = await openTls(server);
    expect(mechanismsOf(features)).toEqual(['OAUTHBEARER', 'PLAIN']);
    peer.destroy();
  });

  it("accepts the core's password (a real client, PLAIN over TLS) and refuses a wrong one", async () => {
    const alice = await login(server, 'alice@example.com', 'core-password', { transport: 'tls' });
    expect(alice.jid.startsWith('alice@example.com/')).toBe(true);
    await alice.stop();
    expect(await plainLogin(server, 'alice', 'wrong')).toEqual({ outcome: 'not-authorized', text: undefined });
    // the local password means nothing here
    expect(await plainLogin(server, 'alice', 'local-password-is-ignored')).toMatchObject({ outcome: 'not-authorized' });
    const asked = core.requests.filter((request) => request.url === '/auth/check').map((request) => JSON.parse(request.body));
    expect(asked).toContainEqual({ username: 'alice@example.com', password: 'core-password' });
  });

  it('remembers a definite answer briefly: a second login does not ask the core again', async () => {
    expect(await plainLogin(server, 'alice', 'core-password')).toEqual({ outcome: 'success' });
    const before = core.requests.length;
    mode = 'broken'; // would fail, but the cached answer is used
    expect(await plainLogin(server, 'alice', 'core-password')).toEqual({ outcome: 'success' });
    expect(core.requests.length).toBe(before);
  });

  it('does not ask the core about an account that does not exist here', async () => {
    const before = core.requests.length;
    expect(await plainLogin(server, 'nobody', 'core-password')).toMatchObject({ outcome: 'not-authorized' });
    expect(core.requests.length).toBe(before);
  });

  it('answers temporary-auth-failure when the core is too slow, and keeps serving', async () => {
    mode = 'slow';
    const started = Date.now();
    expect(await plainLogin(server, 'alice', 'slow-attempt')).toEqual({
      outcome: 'temporary-auth-failure', text: 'the authentication service is unavailable; try again later',
    });
    expect(Date.now() - started).toBeLessThan(1400); // gave up at the 300 ms timeout
    mode = 'up';
    expect(await plainLogin(server, 'alice', 'core-password')).toEqual({ outcome: 'success' });
  });

  it('answers temporary-auth-failure when the core answers with an error, and does not cache it', async () => {
    mode = 'broken';
    expect(await plainLogin(server, 'alice', 'another-attempt')).toMatchObject({ outcome: 'temporary-auth-failure' });
    mode = 'up';
    expect(await plainLogin(server, 'alice', 'another-attempt')).toMatchObject({ outcome: 'not-authorized' });
  });

  it('answers temporary-auth-failure when the core is down', async () => {
    const down = await startSuiteServer({
      users: { 'alice@example.com': 'x' },
      config: { coreAuth: { url: `http://127.0.0.1:${await closedPort()}/auth/check`, timeoutMs: 300 } },
    });
    try {
      expect(await plainLogin(down, 'alice', 'core-password')).toEqual({
        outcome: 'temporary-auth-failure', text: 'the authentication service is unavailable; try again later',
      });
    } finally {
      await down.stop();
    }
  });
});
