// JIDs enforced with PRECIS (RFC 7622 §3; RFC 8265 UsernameCaseMapped and OpaqueString; IDNA2008)
// wherever a name comes in: stanza addresses, resource binding, SASL, the admin API, the CLI and
// the suite's bus. Look-alikes (`ali\u200bce` shows as `alice`) are refused with the standard error.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import type { TestServer } from './helpers/server.ts';
import { bindRequest, childNames, connectTcp, NS, openBoundSession, scramAuthenticate, type TcpPeer } from './helpers/raw-stream.ts';
import { api, startNatsServer, startSuiteServer, type NatsServer } from './helpers/suite.ts';
import { addUser } from '../server/src/cli/accounts.ts';
import { openTestDataStores, storageEnv } from './helpers/test-storage.ts';

const ZWSP = '\u200B';
const RLO = '\u202E';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const parley = join(import.meta.dirname, '../server/bin/parley.js');

let nats: NatsServer;
let server: TestServer;
let bus: NatsConnection;

beforeAll(async () => {
  nats = await startNatsServer();
  server = await startSuiteServer({
    users: { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' },
    config: { c2s: { allowPlaintextOnLoopback: true }, bus: { nats: { servers: [nats.url], subjectPrefix: 'suite' } } },
  });
  await server.server.suiteBus!.ready;
  bus = await connect({ servers: nats.url });
});
afterAll(async () => {
  await bus?.close();
  await server?.stop();
  await nats?.stop();
});

function conditionOf(stanza: Element): string | undefined {
  return stanza.getChild('error')?.getChildElements().find((child) => child.attrs.xmlns === NS_STANZAS)?.name;
}

async function loggedIn(): Promise<TcpPeer> {
  const peer = await connectTcp(server.ports.c2s);
  peer.openStream();
  await peer.receiveHeader();
  await peer.receiveFeatures();
  expect((await scramAuthenticate(peer, 'alice', 'alice-pw')).name).toBe('success');
  peer.openStream();
  await peer.receiveHeader();
  await peer.receiveFeatures();
  return peer;
}

describe('resource binding (RFC 6120 §7.7.2.1: bad-request for a resource that is not OpaqueString)', () => {
  it.each([['RIGHT-TO-LEFT OVERRIDE', `desk${RLO}ksed`], ['ZERO WIDTH SPACE', `ph${ZWSP}one`], ['a C1 control character', 'a\u0085b'], ['a noncharacter', 'a\uFDD0b']])(
    'a resource with %s is refused, and the client may bind another', async (_what, resource) => {
      const peer = await loggedIn();
      peer.send(bindRequest(resource, 'bad'));
      const refused = await peer.receive('iq');
      expect(refused.attrs).toMatchObject({ type: 'error', id: 'bad' });
      expect(childNames(refused.getChild('error')!)).toContain('bad-request');
      peer.send(bindRequest('desk', 'good'));
      expect((await peer.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'good' });
      peer.destroy();
    });

  it('a resource is kept as OpaqueString enforces it: NFC, non-ASCII spaces as U+0020', async () => {
    const peer = await loggedIn();
    peer.send(bindRequest('Cafe\u0301\u00A0Desk'));
    const bound = await peer.receive('iq');
    expect(bound.getChild('bind', NS.bind)!.getChildText('jid')).toBe('alice@example.com/Caf\u00E9 Desk');
    peer.destroy();
  });
});

describe('stanza addresses (RFC 6120 §8.3.3.8 jid-malformed)', () => {
  it.each([
    ['a look-alike localpart', `b${ZWSP}ob@example.com`],
    ['an RLO in the resource', `bob@example.com/${RLO}x`],
    ['a symbol in the localpart', '\u265A@example.com'],
    ['a domain that is not IDNA2008', 'bob@exa_mple.com'],
  ])('a message to %s bounces with jid-malformed', async (_what, to) => {
    const { peer } = await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw');
    peer.send(`<message to='${to}' id='m1' type='chat'><body>hi</body></message>`);
    const bounced = await peer.receive('message');
    expect(bounced.attrs).toMatchObject({ type: 'error', id: 'm1' });
    expect(conditionOf(bounced)).toBe('jid-malformed');
    peer.destroy();
  });

  it('a fullwidth or upper-case address reaches the canonical account', async () => {
    const bob = await openBoundSession(await connectTcp(server.ports.c2s), 'bob', 'bob-pw', 'desk');
    const { peer } = await openBoundSession(await connectTcp(server.ports.c2s), 'alice', 'alice-pw');
    peer.send(`<message to='\uFF22\uFF2F\uFF22@EXAMPLE.com/desk' type='chat'><body>wide</body></message>`);
    const delivered = await bob.peer.receive('message');
    expect(delivered.getChildText('body')).toBe('wide');
    peer.destroy();
    bob.peer.destroy();
  });
});

describe('SASL user names (UsernameCaseMapped, RFC 8265 §3.3)', () => {
  it('ALICE logs in as alice; a look-alike of alice is not-authorized', async () => {
    const upper = await connectTcp(server.ports.c2s);
    upper.openStream();
    await upper.receiveHeader();
    await upper.receiveFeatures();
    expect((await scramAuthenticate(upper, 'ALICE', 'alice-pw')).name).toBe('success');
    upper.destroy();

    const lookAlike = await connectTcp(server.ports.c2s);
    lookAlike.openStream();
    await lookAlike.receiveHeader();
    await lookAlike.receiveFeatures();
    const refused = await scramAuthenticate(lookAlike, `ali${ZWSP}ce`, 'alice-pw');
    expect(refused.name).toBe('failure');
    expect(childNames(refused)).toContain('not-authorized');
    lookAlike.destroy();
  });
});

describe('names from the admin API, the CLI and the suite bus', () => {
  it.each([
    ['RLO', `al${RLO}ice@example.com`, 'U+202E'],
    ['ZWSP', `ali${ZWSP}ce@example.com`, 'U+200B'],
    ['ZERO WIDTH JOINER', 'ali\u200Dce@example.com', 'U+200D'],
    ['LEFT-TO-RIGHT MARK', 'ali\u200Ece@example.com', 'U+200E'],
    ['SOFT HYPHEN', 'ali\u00ADce@example.com', 'U+00AD'],
    ['a tag character', 'alice\u{E0041}@example.com', 'U+E0041'],
  ])('the admin API refuses a user with %s (400, saying which character)', async (_what, jid, codePoint) => {
    const answer = await api(server, 'POST', 'users', { jid, password: 'x-secret' });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(codePoint);
    expect(await server.server.directory.users.resolve('alice@example.com')).toBe('alice@example.com');
  });

  it('the admin API refuses a domain that is not IDNA2008, and takes an A-label as its U-label', async () => {
    expect(await api(server, 'POST', 'domains', { name: 'exa_mple.com' })).toMatchObject({ status: 400 });
    expect(await api(server, 'POST', 'domains', { name: 'xn--bcher-kva.example' })).toMatchObject({ status: 201 });
    expect(server.server.hosts.has('b\u00FCcher.example')).toBe(true);
  });

  it('the suite bus answers a look-alike user with an error and creates nothing', async () => {
    const reply = await bus.request('suite.user.created', new TextEncoder().encode(JSON.stringify({ jid: `b${ZWSP}ob@example.com` })), { timeout: 5000 });
    const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { error?: string };
    expect(answer.error).toContain('U+200B');
    expect(await server.server.storage.accounts.listByDomain('example.com')).toHaveLength(2);
  });

  it('the CLI refuses a look-alike user with a clear error', () => {
    const added = spawnSync(process.execPath, [parley, '--data', server.dataDir, 'user', 'add', `ali${ZWSP}ce@example.com`, '--password', 'x'],
      { encoding: 'utf8', env: storageEnv(server.storage) });
    expect(added.status).toBe(1);
    expect(added.stderr).toMatch(/parley: .*is not a valid user JID.*U\+200B is not allowed/);
  });
});

describe('parley user check', () => {
  it('lists the accounts stored before PRECIS whose names are no longer valid, and exits 1', async () => {
    // As an older Parley stored them: names only case-folded and NFKC-normalized.
    const data = await openTestDataStores(server.dataDir);
    try {
      await addUser(data, 'carol@example.com', 'carol-pw');
      await data.storage.accounts.create(`ali${ZWSP}ce@example.com`, []);
      await data.storage.accounts.create('henry\u2163@example.com', []);
    } finally {
      await data.close();
    }
    const checked = spawnSync(process.execPath, [parley, '--data', server.dataDir, 'user', 'check'], { encoding: 'utf8', env: storageEnv(server.storage) });
    expect(checked.status).toBe(1);
    expect(checked.stdout.trim().split('\n').sort()).toEqual([
      'account ali\\u{200b}ce@example.com: localpart: U+200B is not allowed',
      `account henry\u2163@example.com: localpart: U+2173 is not allowed`, // Ⅳ lowers to ⅳ, still a compatibility form,
    ]);
    expect(checked.stderr).toContain('2 names to fix');
  });
});
