// SASL (RFC 6120 §6), STARTTLS policy (§5.3.1), resource binding (§7) and the restart between them,
// as raw dialogues over TCP, plus real logins with @xmpp/client.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { startServer, type TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import {
  bindRequest, childNames, connectTcp, negotiateStartTls, NS, openBoundSession, plainAuth, scramAuthenticate, type TcpPeer,
} from './helpers/raw-stream.ts';

const users = {
  'alice@example.com': 'alice-pw',
  'bob@example.com': 'bob-pw',
  'emile@example.com': 'pässwörd-☃-密码',
  // SASLprep (RFC 4013): the soft hyphen maps to nothing, NFKC composes; see the SASLprep tests.
  'hyphen@example.com': 'I\u00ADX',
  'cafe@example.com': 'caf\u00e9',
};

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    users,
    // authFailures is high so that the failures these tests provoke never lock out 127.0.0.1.
    config: { c2s: { allowPlaintextOnLoopback: true }, limits: { authFailures: 1000, authRetriesPerStream: 2 } },
  });
});
afterAll(() => server?.stop());

function mechanisms(features: Element): string[] {
  return features.getChild('mechanisms', NS.sasl)?.getChildren('mechanism').map((m) => m.getText()) ?? [];
}

/** The client connects and opens its stream; returns the peer and the first features. */
async function connect(port = server.ports.c2s, localAddress?: string): Promise<{ client: TcpPeer; features: Element }> {
  const client = await connectTcp(port, { localAddress });
  client.openStream();
  await client.receiveHeader();
  return { client, features: await client.receiveFeatures() };
}

async function connectWithTls(port = server.ports.c2s): Promise<{ client: TcpPeer; features: Element }> {
  const { client } = await connect(port);
  return { client, features: await negotiateStartTls(client) };
}

async function failureOf(client: TcpPeer): Promise<string[]> {
  return childNames(await client.receive('failure', NS.sasl));
}

describe('mechanisms offered (RFC 6120 §6.3.3, §13.8)', () => {
  it('before TLS, a plaintext-on-loopback server offers optional STARTTLS and SCRAM-SHA-256, SCRAM-SHA-1, not PLAIN', async () => {
    const { client, features } = await connect();
    expect(childNames(features)).toEqual(['starttls', 'mechanisms']);
    expect(features.getChild('starttls', NS.tls)!.getChildElements()).toEqual([]);
    expect(mechanisms(features)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    client.destroy();
  });

  it('after STARTTLS, PLAIN is offered too and STARTTLS no more', async () => {
    const { client, features } = await connectWithTls();
    expect(childNames(features)).toEqual(['mechanisms']);
    expect(mechanisms(features)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    client.destroy();
  });

  it('PLAIN without TLS: <failure><encryption-required/>, and the client may still use SCRAM', async () => {
    const { client } = await connect();
    client.send(plainAuth('alice', 'alice-pw'));
    expect(await failureOf(client)).toEqual(['encryption-required']);
    expect((await scramAuthenticate(client, 'alice', 'alice-pw')).name).toBe('success');
    client.destroy();
  });
});

describe('SASL failures (RFC 6120 §6.5)', () => {
  it('an unknown mechanism: <failure><invalid-mechanism/>', async () => {
    const { client } = await connect();
    client.send(`<auth xmlns='${NS.sasl}' mechanism='X-MAGIC'>Zm9v</auth>`);
    expect(await failureOf(client)).toEqual(['invalid-mechanism']);
    expect((await scramAuthenticate(client, 'alice', 'alice-pw', 'SCRAM-SHA-256')).name).toBe('success');
    client.destroy();
  });

  it('data that is not base64: <failure><incorrect-encoding/>', async () => {
    const { client } = await connect();
    client.send(`<auth xmlns='${NS.sasl}' mechanism='SCRAM-SHA-1'>not base64!</auth>`);
    expect(await failureOf(client)).toEqual(['incorrect-encoding']);
    client.destroy();
  });

  it('<abort/> in the middle of SCRAM: <failure><aborted/>, then a new attempt succeeds', async () => {
    const { client } = await connect();
    client.send(`<auth xmlns='${NS.sasl}' mechanism='SCRAM-SHA-1'>${Buffer.from('n,,n=alice,r=abcdefghijkl').toString('base64')}</auth>`);
    await client.receive('challenge', NS.sasl);
    client.send(`<abort xmlns='${NS.sasl}'/>`);
    expect(await failureOf(client)).toEqual(['aborted']);
    expect((await scramAuthenticate(client, 'alice', 'alice-pw')).name).toBe('success');
    client.destroy();
  });

  it.each([
    ['a wrong password', 'alice', 'wrong'],
    ['an unknown user (same answer: no account enumeration)', 'nobody', 'alice-pw'],
  ])('SCRAM with %s: <failure><not-authorized/>', async (_what, username, password) => {
    const { client } = await connect();
    const failure = await scramAuthenticate(client, username, password);
    expect(failure.name).toBe('failure');
    expect(childNames(failure)).toEqual(['not-authorized']);
    client.destroy();
  });

  it('PLAIN over TLS with a wrong password: <failure><not-authorized/>', async () => {
    const { client } = await connectWithTls();
    client.send(plainAuth('alice', 'wrong'));
    expect(await failureOf(client)).toEqual(['not-authorized']);
    client.destroy();
  });

  it('@xmpp/client with a wrong password is refused with not-authorized', async () => {
    await expect(login(server, 'alice@example.com', 'wrong')).rejects.toThrow(/not-authorized/);
  });

  it('after limits.authRetriesPerStream failures the stream is closed (RFC 6120 §6.4.5)', async () => {
    const { client } = await connect();
    expect(childNames(await scramAuthenticate(client, 'alice', 'wrong-1'))).toEqual(['not-authorized']);
    expect(childNames(await scramAuthenticate(client, 'alice', 'wrong-2'))).toEqual(['not-authorized']);
    await client.receiveStreamError('policy-violation');
  });
});

describe('passwords are compared after SASLprep (RFC 4013)', () => {
  it('a user with a non-ASCII password logs in with @xmpp/client', async () => {
    const emile = await login(server, 'emile@example.com', users['emile@example.com']);
    expect(emile.jid).toMatch(/^emile@example\.com\//);
    await emile.stop();
  });

  it.each([
    ['a non-ASCII password as stored', 'emile', users['emile@example.com']],
    ['a soft hyphen mapped to nothing (I\\u00ADX = IX)', 'hyphen', 'IX'],
    ['a decomposed é (NFKC)', 'cafe', 'cafe\u0301'],
  ])('PLAIN over TLS with %s succeeds', async (_what, username, password) => {
    const { client } = await connectWithTls();
    client.send(plainAuth(username, password));
    await client.receive('success', NS.sasl);
    client.destroy();
  });
});

describe('after authentication (RFC 6120 §6.4.6, §7)', () => {
  async function authenticated(): Promise<{ client: TcpPeer; firstId: string }> {
    const client = await connectTcp(server.ports.c2s);
    client.openStream();
    const { id } = await client.receiveHeader();
    await client.receiveFeatures();
    expect((await scramAuthenticate(client, 'alice', 'alice-pw')).name).toBe('success');
    return { client, firstId: id! };
  }

  it('the client restarts the stream; the server sends a new stream id and offers bind, optional session, roster versioning', async () => {
    const { client, firstId } = await authenticated();
    client.openStream();
    const { id } = await client.receiveHeader();
    expect(id).not.toBe(firstId);
    const features = await client.receiveFeatures();
    expect(features.getChild('bind', NS.bind)).toBeDefined();
    expect(childNames(features.getChild('session', NS.session)!)).toEqual(['optional']);
    expect(features.getChild('ver', NS.rosterVersioning)).toBeDefined();
    expect(features.getChild('mechanisms', NS.sasl)).toBeUndefined();
    expect(features.getChild('starttls', NS.tls)).toBeUndefined();
    client.destroy();
  });

  it('bind with a resource of the client\'s choice', async () => {
    const { jid, peer } = await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw', 'balcony');
    expect(jid).toBe('alice@example.com/balcony');
    peer.destroy();
  });

  it('bind without a resource: the server generates a different one each time', async () => {
    const first = await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw');
    const second = await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw');
    expect(first.jid).toMatch(/^alice@example\.com\/.+/);
    expect(second.jid).toMatch(/^alice@example\.com\/.+/);
    expect(first.jid).not.toBe(second.jid);
    first.peer.destroy();
    second.peer.destroy();
  });

  it('a legacy <session/> request (RFC 3921 §3) is answered with a result', async () => {
    const { peer } = await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw');
    peer.send(`<iq type='set' id='sess-1'><session xmlns='${NS.session}'/></iq>`);
    const result = await peer.receive('iq');
    expect(result.attrs).toMatchObject({ type: 'result', id: 'sess-1' });
    peer.destroy();
  });

  it('a second <auth/> after success is not SASL any more: not-authorized', async () => {
    const { client } = await authenticated();
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    client.send(plainAuth('alice', 'alice-pw'));
    await client.receiveStreamError('not-authorized');
  });

  it('a bind request with an invalid resource (over 1023 octets) gets a bad-request error and the stream goes on', async () => {
    const { client } = await authenticated();
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    client.send(bindRequest('r'.repeat(1100), 'bad-bind'));
    const error = await client.receive('iq');
    expect(error.attrs).toMatchObject({ type: 'error', id: 'bad-bind' });
    expect(childNames(error.getChild('error')!)).toContain('bad-request');
    client.send(bindRequest('good', 'good-bind'));
    expect((await client.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'good-bind' });
    client.destroy();
  });
});

describe('the failed-login throttle (limits.authFailures: 2)', () => {
  let throttled: TestServer;
  beforeAll(async () => {
    throttled = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true }, limits: { authFailures: 2 } } });
  });
  afterAll(() => throttled.stop());

  async function attempt(from: string, username: string, password: string): Promise<Element> {
    const { client } = await connect(throttled.ports.c2s, from);
    const outcome = await scramAuthenticate(client, username, password);
    client.destroy();
    return outcome;
  }

  it('per account: after two failures even the right password is refused, from any address', async () => {
    expect((await attempt('127.0.0.2', 'alice', 'wrong')).name).toBe('failure');
    expect((await attempt('127.0.0.3', 'alice', 'wrong')).name).toBe('failure');
    const refused = await attempt('127.0.0.4', 'alice', 'alice-pw');
    expect(childNames(refused)).toEqual(['not-authorized', 'text']);
    expect(refused.getChildText('text')).toMatch(/too many failed/i);
    // another account from that address is fine
    expect((await attempt('127.0.0.4', 'bob', 'bob-pw')).name).toBe('success');
  });

  it('per address: after two failures from one address, nobody logs in from there, others still can', async () => {
    expect((await attempt('127.0.0.5', 'nobody-1', 'x')).name).toBe('failure');
    expect((await attempt('127.0.0.5', 'nobody-2', 'x')).name).toBe('failure');
    const refused = await attempt('127.0.0.5', 'bob', 'bob-pw');
    expect(childNames(refused)).toEqual(['not-authorized', 'text']);
    expect(refused.getChildText('text')).toMatch(/too many failed/i);
    expect((await attempt('127.0.0.6', 'bob', 'bob-pw')).name).toBe('success');
  });
});

describe('a server that requires STARTTLS (the default, RFC 6120 §5.3.1)', () => {
  let strict: TestServer;
  beforeAll(async () => {
    strict = await startServer({ users });
  });
  afterAll(() => strict.stop());

  it('offers <starttls><required/></starttls> and no mechanisms before TLS', async () => {
    const { client, features } = await connect(strict.ports.c2s);
    expect(childNames(features)).toEqual(['starttls']);
    expect(childNames(features.getChild('starttls', NS.tls)!)).toEqual(['required']);
    client.destroy();
  });

  it.each([
    ['<auth/>', plainAuth('alice', 'alice-pw')],
    ['a message', `<message to='bob@example.com'><body>hi</body></message>`],
  ])('client sends %s before STARTTLS: policy-violation', async (_what, data) => {
    const { client } = await connect(strict.ports.c2s);
    client.send(data);
    await client.receiveStreamError('policy-violation');
  });

  it('after STARTTLS: PLAIN works, and a wrong password is not-authorized', async () => {
    const { client, features } = await connectWithTls(strict.ports.c2s);
    expect(mechanisms(features)).toContain('PLAIN');
    client.send(plainAuth('bob', 'wrong'));
    expect(await failureOf(client)).toEqual(['not-authorized']);
    client.send(plainAuth('bob', 'bob-pw'));
    await client.receive('success', NS.sasl);
    client.destroy();
  });
});
