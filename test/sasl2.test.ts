// SASL2 (XEP-0388), Bind 2 (XEP-0386), FAST (XEP-0484) and channel binding (XEP-0440, RFC 9266,
// RFC 5929) through real sockets: @xmpp/client 0.14 (which tries SASL2 and FAST by default) over
// direct TLS, STARTTLS and secure WebSocket, and raw dialogues for each error.
import { spawnSync } from 'node:child_process';
import { storageEnv } from './helpers/test-storage.ts';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { startServer, type TestServer } from './helpers/server.ts';
import { ADMIN_TOKEN, api } from './helpers/suite.ts';
import { connectTcp, negotiateStartTls, NS, type TcpPeer } from './helpers/raw-stream.ts';
import {
  authenticateXml, clientBindingData, failureOf, fastClient, htHash, htInitialResponse, plainMessage, scramExchange, TokenJar,
  userAgentXml, type BindingType,
} from './helpers/sasl2.ts';

const JULIET = 'juliet@example.com';
const users = { [JULIET]: 'r0meo', 'romeo@example.com': 'jul1et', 'nurse@example.com': 'n0rse' };
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    users,
    config: {
      // rotation at every use, so that one test sees tokens replaced
      fast: { rotateAfterSeconds: 0 },
      admin: { token: ADMIN_TOKEN },
      http: { tlsPort: 0 },
      limits: { authFailures: 1000, authRetriesPerStream: 5 },
    },
  });
});
afterAll(() => server?.stop());

/** A raw client on direct TLS (XEP-0368) or after STARTTLS, with the features it got. */
async function secureStream(via: 'tls' | 'starttls', from = JULIET): Promise<{ peer: TcpPeer; features: Element }> {
  const peer = await connectTcp(via === 'tls' ? server.ports.c2sTls! : server.ports.c2s, { tls: via === 'tls' });
  peer.openStream({ from });
  await peer.receiveHeader();
  let features = await peer.receiveFeatures();
  if (via === 'starttls') features = await negotiateStartTls(peer);
  return { peer, features };
}

const mechanismsOf = (features: Element, ns: string, name: string) =>
  features.getChild(name, ns)?.getChildren('mechanism').map((m) => m.getText()) ?? [];

describe('stream features on TLS', () => {
  for (const via of ['tls', 'starttls'] as const) {
    it(`${via}: SASL2 with Bind 2 and FAST, -PLUS mechanisms, and the channel-binding types (XEP-0440)`, async () => {
      const { peer, features } = await secureStream(via);
      expect(mechanismsOf(features, NS.sasl, 'mechanisms')).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
      expect(mechanismsOf(features, NS.sasl2, 'authentication')).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
      const inline = features.getChild('authentication', NS.sasl2)!.getChild('inline')!;
      expect(inline.getChild('bind', NS.bind2)).toBeDefined();
      expect(mechanismsOf(inline, NS.fast, 'fast')).toEqual(['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE']);
      expect(features.getChild('sasl-channel-binding', NS.saslChannelBinding)!.getChildren('channel-binding').map((c) => c.attrs.type))
        .toEqual(['tls-exporter', 'tls-server-end-point']);
      peer.destroy();
    });
  }
});

describe('SCRAM-PLUS with channel binding', () => {
  for (const via of ['tls', 'starttls'] as const) {
    for (const profile of ['sasl2', 'sasl'] as const) {
      for (const type of ['tls-exporter', 'tls-server-end-point'] as const) {
        for (const mechanism of ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS']) {
          it(`${via}, ${profile === 'sasl2' ? 'SASL2' : 'RFC 6120 SASL'}: ${mechanism} bound to ${type}`, async () => {
            const { peer } = await secureStream(via);
            const outcome = await scramExchange(peer, {
              profile, mechanism, username: 'juliet', password: 'r0meo', flag: `p=${type}`,
              bindingData: clientBindingData(peer.socket as import('node:tls').TLSSocket, type),
            });
            expect(outcome.name).toBe('success');
            if (profile === 'sasl2') expect(outcome.getChildText('authorization-identifier')).toBe(JULIET);
            peer.destroy();
          });
        }
      }
    }
  }

  it("binding data that is not this connection's fails (a relaying man in the middle)", async () => {
    const { peer } = await secureStream('tls');
    const other = await secureStream('tls');
    const outcome = await scramExchange(peer, {
      mechanism: 'SCRAM-SHA-256-PLUS', username: 'juliet', password: 'r0meo', flag: 'p=tls-exporter',
      bindingData: clientBindingData(other.peer.socket as import('node:tls').TLSSocket, 'tls-exporter'),
    });
    expect(failureOf(outcome)).toEqual({ condition: 'not-authorized', text: 'channel binding mismatch' });
    peer.destroy();
    other.peer.destroy();
  });

  it("a client that says 'y' where -PLUS was offered is refused as a downgrade (RFC 5802 §6)", async () => {
    for (const profile of ['sasl2', 'sasl'] as const) {
      const { peer } = await secureStream('tls');
      const outcome = await scramExchange(peer, { profile, mechanism: 'SCRAM-SHA-256', username: 'juliet', password: 'r0meo', flag: 'y' });
      expect(outcome.name).toBe('failure');
      expect(outcome.getChildElements().find((child) => child.getNS() === NS.sasl)?.name).toBe('malformed-request');
      peer.destroy();
    }
  });

  it('a binding type this server does not know fails', async () => {
    const { peer } = await secureStream('tls');
    const outcome = await scramExchange(peer, { mechanism: 'SCRAM-SHA-256-PLUS', username: 'juliet', password: 'r0meo', flag: 'p=tls-server-finished', bindingData: Buffer.alloc(12) });
    expect(failureOf(outcome)).toEqual({ condition: 'malformed-request', text: 'unsupported channel binding type tls-server-finished' });
    peer.destroy();
  });

  it('tls-unique, not announced, is accepted from clients that use it (slixmpp 1.8), and checked', async () => {
    for (const via of ['tls', 'starttls'] as const) {
      const { peer } = await secureStream(via);
      const socket = peer.socket as import('node:tls').TLSSocket;
      const outcome = await scramExchange(peer, { mechanism: 'SCRAM-SHA-1-PLUS', username: 'juliet', password: 'r0meo', flag: 'p=tls-unique', bindingData: clientBindingData(socket, 'tls-unique') });
      expect(outcome.name).toBe('success');
      peer.destroy();
    }
    const { peer } = await secureStream('tls');
    const outcome = await scramExchange(peer, { mechanism: 'SCRAM-SHA-1-PLUS', username: 'juliet', password: 'r0meo', flag: 'p=tls-unique', bindingData: Buffer.alloc(12) });
    expect(failureOf(outcome).condition).toBe('not-authorized');
    peer.destroy();
  });
});

describe('SASL2 raw dialogues', () => {
  it('success without Bind 2: no stream restart, then features with legacy bind', async () => {
    const { peer } = await secureStream('tls');
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo')));
    const success = await peer.receive('success', NS.sasl2);
    expect(success.getChildText('authorization-identifier')).toBe(JULIET);
    const features = await peer.receiveFeatures();
    expect(features.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind')).toBeDefined();
    peer.send(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>raw</resource></bind></iq>`);
    expect((await peer.receive('iq')).getChild('bind')!.getChildText('jid')).toBe(`${JULIET}/raw`);
    peer.destroy();
  });

  it('Bind 2: the full JID in <success/>, <bound/>, then stanzas flow', async () => {
    const { peer } = await secureStream('starttls');
    peer.send(authenticateXml('SCRAM-SHA-256', null)); // no initial response: an empty challenge first
    expect((await peer.receive('challenge', NS.sasl2)).getText()).toBe('');
    peer.send(`<abort xmlns='${NS.sasl2}'/>`);
    expect(failureOf(await peer.receive('failure', NS.sasl2)).condition).toBe('aborted');
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), userAgentXml('raw-bind2'),
      `<bind xmlns='${NS.bind2}'><tag>RawIM</tag></bind>`));
    const success = await peer.receive('success', NS.sasl2);
    const jid = success.getChildText('authorization-identifier')!;
    expect(jid).toMatch(/^juliet@example\.com\/RawIM\/[\w-]+$/);
    expect(success.getChild('bound', NS.bind2)).toBeDefined();
    const features = await peer.receiveFeatures();
    expect(features.getChild('bind', 'urn:ietf:params:xml:ns:xmpp-bind')).toBeUndefined();
    peer.send(`<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const pong = await peer.receive('iq');
    expect(pong.attrs).toMatchObject({ type: 'result', id: 'p1', to: jid });
    peer.destroy();
  });

  const failures: Array<[string, string, string]> = [
    ['a mechanism not offered', authenticateXml('DIGEST-MD5', null), 'invalid-mechanism'],
    ['an <authenticate/> without mechanism', `<authenticate xmlns='${NS.sasl2}'><initial-response>AA==</initial-response></authenticate>`, 'malformed-request'],
    ['an initial response that is not base64', `<authenticate xmlns='${NS.sasl2}' mechanism='PLAIN'><initial-response>not base64!</initial-response></authenticate>`, 'incorrect-encoding'],
    ['a wrong password', authenticateXml('PLAIN', plainMessage('juliet', 'wrong')), 'not-authorized'],
    ['an HT mechanism without <fast/>', authenticateXml('HT-SHA-256-NONE', htInitialResponse('juliet', 'x'.repeat(80)), userAgentXml('raw')), 'malformed-request'],
    ['an unknown SASL2 element', `<next xmlns='${NS.sasl2}' task='TOTP'/>`, 'malformed-request'],
  ];
  for (const [what, sent, condition] of failures) {
    it(`${what}: <failure/> with ${condition}, and the stream stays usable`, async () => {
      const { peer } = await secureStream('tls');
      peer.send(sent);
      expect(failureOf(await peer.receive('failure', NS.sasl2)).condition).toBe(condition);
      peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo')));
      expect((await peer.receive('success', NS.sasl2)).getChildText('authorization-identifier')).toBe(JULIET);
      peer.destroy();
    });
  }

  it('an unknown inline element is ignored; the sign-in goes on', async () => {
    const { peer } = await secureStream('tls');
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), `<frobnicate xmlns='urn:example:unknown'/>`,
      `<bind xmlns='${NS.bind2}'><enable xmlns='urn:example:unknown-too'/></bind>`));
    const success = await peer.receive('success', NS.sasl2);
    expect(success.getChild('bound', NS.bind2)!.getChildElements()).toEqual([]);
    peer.destroy();
  });

  it('a second <authenticate/> after success ends the stream', async () => {
    const { peer } = await secureStream('tls');
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo')));
    await peer.receive('success', NS.sasl2);
    await peer.receiveFeatures();
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo')));
    expect(await peer.receiveStreamError('not-authorized')).toBeDefined();
  });

  it('no FAST and no PLAIN without TLS (plaintext on loopback)', async () => {
    const plaintext = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true } } });
    try {
      const peer = await connectTcp(plaintext.ports.c2s);
      peer.openStream({ from: JULIET });
      await peer.receiveHeader();
      const features = await peer.receiveFeatures();
      expect(mechanismsOf(features, NS.sasl2, 'authentication')).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
      expect(features.getChild('authentication', NS.sasl2)!.getChild('inline')!.getChild('fast', NS.fast)).toBeUndefined();
      expect(features.getChild('sasl-channel-binding', NS.saslChannelBinding)).toBeUndefined();
      peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo')));
      expect(failureOf(await peer.receive('failure', NS.sasl2)).condition).toBe('encryption-required');
      peer.destroy();
    } finally {
      await plaintext.stop();
    }
  });
});

/** A raw FAST sign-in with a token; the outcome element. */
async function rawFast(token: string, clientId: string, options: { mechanism?: string; binding?: BindingType; invalidate?: boolean } = {}): Promise<Element> {
  const { peer } = await secureStream('tls');
  const bindingData: Buffer = options.binding ? clientBindingData(peer.socket as import('node:tls').TLSSocket, options.binding) : Buffer.alloc(0);
  peer.send(authenticateXml(options.mechanism ?? 'HT-SHA-256-NONE', htInitialResponse('juliet', token, bindingData), userAgentXml(clientId),
    `<fast xmlns='${NS.fast}'${options.invalidate ? " invalidate='true'" : ''}/>`));
  const outcome = (await peer.next()) as { kind: 'element'; element: Element };
  if (outcome.element.name === 'success') {
    const responder = Buffer.from(outcome.element.getChildText('additional-data')!, 'base64');
    expect(responder).toEqual(htHash(token, 'Responder', bindingData));
  }
  peer.destroy();
  return outcome.element;
}

/** A password sign-in asking for a token; the token. */
async function rawToken(clientId: string, mechanism = 'HT-SHA-256-NONE'): Promise<string> {
  const { peer } = await secureStream('tls');
  peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), userAgentXml(clientId),
    `<request-token xmlns='${NS.fast}' mechanism='${mechanism}'/>`));
  const token = (await peer.receive('success', NS.sasl2)).getChild('token', NS.fast)!;
  expect(Date.parse(token.attrs.expiry!)).toBeGreaterThan(Date.now());
  peer.destroy();
  return token.attrs.token!;
}

describe('FAST with @xmpp/client', () => {
  for (const transport of ['tls', 'starttls', 'secure-websocket'] as const) {
    it(`${transport}: a token after the password, a sign-in with it, rotated at use`, async () => {
      const jar = new TokenJar();
      const clientId = `xmppjs-${transport}`;
      const first = await fastClient(server, 'nurse@example.com', { transport, password: 'n0rse', clientId, jar });
      expect(first.jid).toMatch(/^nurse@example\.com\//);
      await first.stop();
      expect(jar.token).toMatchObject({ mechanism: 'HT-SHA-256-NONE' });
      const issued = jar.token!.token;

      // the next connection signs in with the token alone
      const second = await fastClient(server, 'nurse@example.com', { transport, clientId, jar });
      expect(second.jid).toMatch(/^nurse@example\.com\//);
      await second.stop();
      // rotateAfterSeconds 0: the token used was replaced by a new one
      expect(jar.saved).toHaveLength(2);
      expect(jar.token!.token).not.toBe(issued);

      const third = await fastClient(server, 'nurse@example.com', { transport, clientId, jar });
      await third.stop();
      expect(jar.saved).toHaveLength(3);
    });
  }
});

describe('FAST tokens: rotation, channel binding, invalidation, revocation, password change', () => {
  it('the old token works until the new one is used, then fails (XEP-0484 §3.5)', async () => {
    const first = await rawToken('rotation');
    const success = await rawFast(first, 'rotation');
    const second = success.getChild('token', NS.fast)!.attrs.token!;
    expect(second).not.toBe(first);
    // the client may not have received the second: the first still works (and yields a third)
    const third = (await rawFast(first, 'rotation')).getChild('token', NS.fast)!.attrs.token!;
    expect((await rawFast(third, 'rotation')).name).toBe('success');
    expect(failureOf(await rawFast(first, 'rotation')).condition).toBe('not-authorized');
  });

  it('a token is bound to its client and its mechanism', async () => {
    const token = await rawToken('bound-client');
    expect(failureOf(await rawFast(token, 'another-client')).condition).toBe('not-authorized');
    expect(failureOf(await rawFast(token, 'bound-client', { mechanism: 'HT-SHA-256-EXPR', binding: 'tls-exporter' })).condition).toBe('not-authorized');
    expect((await rawFast(token, 'bound-client')).name).toBe('success');
  });

  for (const [mechanism, binding] of [['HT-SHA-256-EXPR', 'tls-exporter'], ['HT-SHA-256-ENDP', 'tls-server-end-point']] as const) {
    it(`${mechanism}: the proof includes ${binding}, and one from another connection fails`, async () => {
      const token = await rawToken(`cb-${binding}`, mechanism);
      expect((await rawFast(token, `cb-${binding}`, { mechanism, binding })).name).toBe('success');
      const next = await rawToken(`cb2-${binding}`, mechanism);
      expect(failureOf(await rawFast(next, `cb2-${binding}`, { mechanism })).condition).toBe('not-authorized');
    });
  }

  it('signing out with the token (invalidate) ends it', async () => {
    const token = await rawToken('sign-out');
    const success = await rawFast(token, 'sign-out', { invalidate: true });
    expect(success.getChild('token', NS.fast)).toBeUndefined();
    expect(failureOf(await rawFast(token, 'sign-out')).condition).toBe('not-authorized');
  });

  it('the admin lists and revokes tokens through the admin API', async () => {
    const token = await rawToken('revoked-by-admin');
    const listed = await api(server, 'GET', `/users/${JULIET}/tokens`);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual(expect.arrayContaining([expect.objectContaining({ client: 'revoked-by-admin', userAgent: 'Raw test client on loopback', mechanism: 'HT-SHA-256-NONE' })]));
    expect(JSON.stringify(listed.body)).not.toContain(token);
    expect((await api(server, 'DELETE', `/users/${JULIET}/tokens/revoked-by-admin`)).body).toEqual({ revoked: 1 });
    expect(failureOf(await rawFast(token, 'revoked-by-admin')).condition).toBe('not-authorized');
    expect((await api(server, 'DELETE', `/users/${JULIET}/tokens/revoked-by-admin`)).status).toBe(404);
  });

  it('the admin lists and revokes tokens with the CLI, on the running server\'s data folder', async () => {
    const token = await rawToken('revoked-by-cli');
    const parley = (...args: string[]) => spawnSync(process.execPath, [join(import.meta.dirname, '../server/bin/parley.js'), '--data', server.dataDir, ...args],
      { encoding: 'utf8', input: '', env: storageEnv(server.storage) });
    const listed = parley('user', 'tokens', 'list', JULIET);
    expect(listed.status).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(expect.arrayContaining([expect.objectContaining({ client: 'revoked-by-cli' })]));
    expect(listed.stdout).not.toContain(token);
    const revoked = parley('user', 'tokens', 'revoke', JULIET, 'revoked-by-cli');
    expect(revoked.stdout).toContain(`1 token of ${JULIET} for client revoked-by-cli revoked`);
    expect(failureOf(await rawFast(token, 'revoked-by-cli')).condition).toBe('not-authorized');
    expect(parley('user', 'tokens', 'revoke', JULIET, 'revoked-by-cli').status).toBe(1);
  }, 60_000); // four CLI processes, each loading the server's code (cli.test.ts allows the same)

  it('@xmpp/client with a revoked token falls back to its password and gets a new token', async () => {
    const jar = new TokenJar();
    await (await fastClient(server, 'romeo@example.com', { password: 'jul1et', clientId: 'romeo-phone', jar })).stop();
    const revoked = jar.token!.token;
    expect((await api(server, 'DELETE', '/users/romeo@example.com/tokens')).body).toEqual({ revoked: 1 });
    const again = await fastClient(server, 'romeo@example.com', { password: 'jul1et', clientId: 'romeo-phone', jar });
    await again.stop();
    expect(jar.token!.token).not.toBe(revoked);
  });

  it('a new password ends every token', async () => {
    const token = await rawToken('before-password-change');
    expect((await api(server, 'PATCH', `/users/${JULIET}`, { password: 'r0meo' })).status).toBe(200);
    expect(failureOf(await rawFast(token, 'before-password-change')).condition).toBe('not-authorized');
  });
});
