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

describe('the failed-login throttle (sasl/throttle.ts): per address, then per account, never a lock-out of the owner', () => {
  let throttled: TestServer;
  beforeAll(async () => {
    throttled = await startServer({
      users,
      captureLogs: true,
      config: {
        c2s: { allowPlaintextOnLoopback: true },
        limits: { authFailures: 2, authAccountFailures: 8, authDelayMs: 100, authMaxDelayMs: 400, authRetriesPerStream: 5 },
      },
    });
  });
  afterAll(() => throttled.stop());

  /** One login on a new connection from `from`; the outcome and how long the server took to give it. */
  async function attempt(from: string, username: string, password: string): Promise<{ outcome: Element; ms: number; started: number; answered: number }> {
    const { client } = await connect(throttled.ports.c2s, from);
    const started = performance.now();
    const outcome = await scramAuthenticate(client, username, password);
    const answered = performance.now();
    client.destroy();
    return { outcome, ms: answered - started, started, answered };
  }

  const warnings = (message: RegExp) => throttled.logs.filter((record) => record.level === 40 && message.test(record.msg ?? ''));

  it('an attacker failing again and again from one address does not stop the owner logging in from another', async () => {
    for (let i = 0; i < 5; i++) {
      const { outcome } = await attempt('127.0.0.2', 'alice', `guess-${i}`);
      expect(childNames(outcome)[0]).toBe('not-authorized');
    }
    const owner = await attempt('127.0.0.3', 'alice', 'alice-pw');
    expect(owner.outcome.name).toBe('success');
  });

  it("a throttled address gets its answers later and later (still RFC 6120 §6.5 failures), then is refused while its queue is full", async () => {
    const attempts = [];
    for (let i = 0; i < 4; i++) {
      const result = await attempt('127.0.0.4', 'bob', `guess-${i}`);
      expect(childNames(result.outcome)).toEqual(['not-authorized']);
      attempts.push(result);
    }
    // two free failures, then each answer comes 100 ms, then 200 ms after the attempt before it started
    expect(attempts[2]!.answered - attempts[1]!.started).toBeGreaterThanOrEqual(95);
    expect(attempts[3]!.answered - attempts[2]!.started).toBeGreaterThanOrEqual(195);
    // parallel connections do not share a slot: the ones that would wait past 400 ms are refused
    const parallel = await Promise.all(Array.from({ length: 4 }, (_, i) => attempt('127.0.0.4', 'bob', `burst-${i}`)));
    const refused = parallel.map(({ outcome }) => outcome).filter((outcome) => /too many failed logins from your address/i.test(outcome.getChildText('text') ?? ''));
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) expect(childNames(outcome)).toEqual(['not-authorized', 'text']);
    // that address only: bob logs in from another one at once
    const owner = await attempt('127.0.0.5', 'bob', 'bob-pw');
    expect(owner.outcome.name).toBe('success');
    expect(owner.ms).toBeLessThan(100);
    expect(warnings(/refused/)[0]).toMatchObject({ account: 'bob@example.com', address: '127.0.0.4' });
    expect(warnings(/from this address/)[0]).toMatchObject({ address: expect.stringMatching(/^127\.0\.0\.[24]$/) });
  });

  it('past the account-wide ceiling, guesses from many addresses are slowed, and the owner is slowed but gets in', async () => {
    for (let i = 0; i < 8; i++) {
      const { outcome } = await attempt(`127.0.1.${i + 1}`, 'cafe', `guess-${i}`);
      expect(childNames(outcome)).toEqual(['not-authorized']);
    }
    const guess = await attempt('127.0.1.50', 'cafe', 'another-guess');
    expect(childNames(guess.outcome)).toEqual(['not-authorized']);
    expect(guess.ms).toBeGreaterThanOrEqual(90);
    const owner = await attempt('127.0.1.51', 'cafe', 'caf\u00e9');
    expect(owner.outcome.name).toBe('success');
    expect(owner.ms).toBeGreaterThanOrEqual(190);
    expect(warnings(/for this account/)[0]).toMatchObject({ account: 'cafe@example.com', address: expect.stringMatching(/^127\.0\.1\./) });
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
