// Single sign-on: the webmail's session token (a JWT) logs the chat panel in through SASL OAUTHBEARER
// (RFC 7628) over TCP, WebSocket and BOSH — always on TLS (RFC 6750 §5.3). A refused token gets the
// RFC 7628 §3.2.2 error challenge, then a <failure/> whose <text/> says what was wrong.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { createUsers } from './helpers/im.ts';
import { connectWebSocket } from './helpers/raw-stream.ts';
import {
  SSO_AUDIENCE, SSO_SECRET, SecureBosh, closedPort, hs256Token, mechanismsOf, oauthBearerLogin, openSecureWebSocket, openTls,
  restartAndBind, serveJwks, startSuiteServer, suiteSigner, type HttpStub, type SuiteSigner,
} from './helpers/suite.ts';

describe('OAUTHBEARER with an HS256 shared secret', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startSuiteServer({
      domains: ['example.com', 'example.org'],
      config: { http: { tlsPort: 0 }, sso: { secret: SSO_SECRET, audience: SSO_AUDIENCE } },
    });
  });
  afterAll(() => server.stop());

  it('is offered on TLS streams only, beside SCRAM', async () => {
    const { peer, features } = await openTls(server);
    expect(mechanismsOf(features)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'OAUTHBEARER', 'PLAIN']);
    peer.destroy();
    const plain = await connectWebSocket(server.ports.http);
    plain.openStream();
    await plain.receiveHeader();
    expect(mechanismsOf(await plain.receiveFeatures())).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    plain.destroy();
  });

  it('logs in with a valid token over direct TLS and binds the account the token names', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const { peer } = await openTls(server);
    expect(await oauthBearerLogin(peer, await hs256Token(aliceJid!))).toEqual({ outcome: 'success' });
    expect(await restartAndBind(peer)).toBe(`${aliceJid}/sso`);
    peer.destroy();
  });

  it('logs in with a valid token over WebSocket (wss)', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const { peer } = await openSecureWebSocket(server);
    expect(await oauthBearerLogin(peer, await hs256Token(aliceJid!))).toEqual({ outcome: 'success' });
    expect(await restartAndBind(peer)).toBe(`${aliceJid}/sso`);
    peer.destroy();
  });

  it('logs in with a valid token over BOSH (https), and refuses an expired one there', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const bosh = new SecureBosh(server);
    const [features] = await bosh.open();
    expect(mechanismsOf(features!)).toContain('OAUTHBEARER');
    expect(await bosh.oauthBearer(await hs256Token(aliceJid!))).toEqual({ outcome: 'success' });
    expect(await bosh.restartAndBind()).toBe(`${aliceJid}/bosh`);

    const refused = new SecureBosh(server);
    await refused.open();
    expect(await refused.oauthBearer(await hs256Token(aliceJid!, { expiresIn: -120 })))
      .toEqual({ outcome: 'not-authorized', text: 'the token has expired', errorStatus: 'invalid_token' });
  });

  it('refuses an expired token, a wrongly signed one and one for another audience, saying why', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const cases: Array<[Promise<string>, string]> = [
      [hs256Token(aliceJid!, { expiresIn: -120 }), 'the token has expired'],
      [hs256Token(aliceJid!, { secret: 'another-secret-another-secret-another-secret' }), 'the token signature is not valid'],
      [hs256Token(aliceJid!, { audience: 'someone-else' }), 'the token is not meant for this service'],
      [Promise.resolve('not.a.jwt'), 'the token is not a valid signed JWT'],
    ];
    for (const [token, text] of cases) {
      const { peer } = await openTls(server);
      expect(await oauthBearerLogin(peer, await token)).toEqual({ outcome: 'not-authorized', text, errorStatus: 'invalid_token' });
      peer.destroy();
    }
  });

  it('checks the account: IM access, the stream domain, the authzid', async () => {
    const [bobJid, orgJid] = await createUsers(server, ['bob', 'olga@example.org']);
    const admin = server.server.admin;

    await admin.updateUser(bobJid!, { enabled: false });
    let { peer } = await openTls(server);
    expect(await oauthBearerLogin(peer, await hs256Token(bobJid!))).toEqual({ outcome: 'account-disabled', text: 'this account is disabled' });
    peer.destroy();

    ({ peer } = await openTls(server));
    expect(await oauthBearerLogin(peer, await hs256Token(orgJid!)))
      .toEqual({ outcome: 'not-authorized', text: 'this account belongs to example.org; connect to that domain' });
    peer.destroy();

    const [carolJid] = await createUsers(server, ['carol']);
    ({ peer } = await openTls(server));
    expect(await oauthBearerLogin(peer, await hs256Token(carolJid!), bobJid!)).toEqual({ outcome: 'invalid-authzid' });
    peer.destroy();

    ({ peer } = await openTls(server));
    expect(await oauthBearerLogin(peer, await hs256Token('nobody@example.com')))
      .toEqual({ outcome: 'not-authorized', text: 'there is no account for nobody@example.com' });
    peer.destroy();
  });

  it("falls back to 'sub' (a localpart on the stream's domain) when the token has no email claim", async () => {
    const [danJid] = await createUsers(server, ['dan']);
    const { peer } = await openTls(server);
    const token = await hs256Token(danJid!, { claims: { email: undefined } });
    expect(await oauthBearerLogin(peer, token)).toEqual({ outcome: 'success' });
    expect(await restartAndBind(peer)).toBe(`${danJid}/sso`);
    peer.destroy();
  });
});

describe('OAUTHBEARER with the suite\'s JWKS (RS256, EdDSA)', () => {
  let server: TestServer;
  let jwks: HttpStub;
  let rsa: SuiteSigner;
  let ed25519: SuiteSigner;
  let stranger: SuiteSigner;

  beforeAll(async () => {
    [rsa, ed25519, stranger] = await Promise.all([suiteSigner('RS256', 'rsa-1'), suiteSigner('EdDSA', 'ed-1'), suiteSigner('RS256', 'rsa-1')]);
    jwks = await serveJwks([rsa.jwk, ed25519.jwk]);
    server = await startSuiteServer({ config: { sso: { jwksUrl: `${jwks.url}/jwks.json`, audience: SSO_AUDIENCE } } });
  });
  afterAll(async () => {
    await server.stop();
    await jwks.close();
  });

  it('accepts RS256 and EdDSA tokens signed with the published keys', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    for (const [signer, jid] of [[rsa, aliceJid!], [ed25519, bobJid!]] as const) {
      const { peer } = await openTls(server);
      expect(await oauthBearerLogin(peer, await signer.token(jid))).toEqual({ outcome: 'success' });
      expect(await restartAndBind(peer)).toBe(`${jid}/sso`);
      peer.destroy();
    }
    expect(jwks.requests.length).toBeGreaterThan(0);
  });

  it('refuses a token signed with another key under a published key id, and an expired one', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    let { peer } = await openTls(server);
    expect(await oauthBearerLogin(peer, await stranger.token(aliceJid!)))
      .toEqual({ outcome: 'not-authorized', text: 'the token signature is not valid', errorStatus: 'invalid_token' });
    peer.destroy();
    ({ peer } = await openTls(server));
    expect(await oauthBearerLogin(peer, await ed25519.token(aliceJid!, { expiresIn: -60 })))
      .toMatchObject({ outcome: 'not-authorized', text: 'the token has expired' });
    peer.destroy();
  });

  it('answers temporary-auth-failure when the JWKS cannot be fetched', async () => {
    const down = await startSuiteServer({ config: { sso: { jwksUrl: `http://127.0.0.1:${await closedPort()}/jwks.json`, audience: SSO_AUDIENCE } } });
    try {
      const [aliceJid] = await createUsers(down, ['alice']);
      const { peer } = await openTls(down);
      const result = await oauthBearerLogin(peer, await rsa.token(aliceJid!));
      expect(result.outcome).toBe('temporary-auth-failure');
      expect(result.text).toMatch(/signing keys could not be fetched; try again later/);
      peer.destroy();
    } finally {
      await down.stop();
    }
  });
});
