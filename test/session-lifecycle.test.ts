// A session apart from its stream (issue 10): the lifecycle events a module sees, and a module
// that vetoes session-ending keeps the session bound without a stream (what stream management
// will do to hibernate it, like Prosody's pre-resource-unbind for mod_smacks).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../server/src/config.ts';
import { createLogger } from '../server/src/logger.ts';
import { ParleyServer } from '../server/src/server.ts';
import { openDataStores } from '../server/src/data-folder.ts';
import { testStorageSettings } from './helpers/test-storage.ts';
import { addDomain } from '../server/src/cli/accounts.ts';
import { defaultModules } from '../server/src/modules/index.ts';
import { defineModule } from '../server/src/core/module-api.ts';
import type { TestServer } from './helpers/server.ts';
import {
  befriend, chat, createUsers, dropConnection, expectNothing, isMessage, isPresenceFrom, online, received, stopAll, xml,
} from './helpers/im.ts';

/** What the lifecycle module saw, in order: "event resource reason". */
const seen: string[] = [];

/** Keeps sessions of resource 'keep' whose connection dropped; records every lifecycle event. */
const keeper = defineModule({
  name: 'test-keeper',
  implements: [],
  register(ctx) {
    const resource = (jid: { resource: string }) => jid.resource;
    ctx.on('resource-bind', ({ session }) => void seen.push(`resource-bind ${resource(session.jid)}`));
    ctx.on('stream-closed', ({ session }) => void seen.push(`stream-closed ${session ? resource(session.jid) : '-'}`));
    ctx.on('session-ending', (ending) => {
      seen.push(`session-ending ${resource(ending.session.jid)} ${ending.reason.kind}`);
      if (resource(ending.session.jid) === 'keep' && ending.reason.kind === 'connection-lost') ending.veto();
    });
    ctx.on('resource-unbind', ({ session, reason }) => void seen.push(`resource-unbind ${resource(session.jid)} ${reason.kind}`));
    ctx.on('delivery-failed', ({ session }) => void seen.push(`delivery-failed ${resource(session.jid)}`));
  },
});

let server: TestServer;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-test-'));
  const storage = await testStorageSettings(dataDir);
  const data = await openDataStores(dataDir, storage);
  await addDomain(data, 'example.com');
  await data.close();
  const config = configSchema.parse({
    dataDir, storage, domains: ['example.com'], bind: '127.0.0.1', c2s: { port: 0, tlsPort: 0 }, s2s: { port: 0 }, http: { port: 0, tlsPort: -1 },
    log: { level: process.env.PARLEY_TEST_LOG ?? 'silent' },
  });
  const parley = await ParleyServer.start(config, createLogger(config.log.level), { modules: [...defaultModules, keeper] });
  server = {
    server: parley, dataDir, storage, ports: parley.ports, logs: [],
    stop: async () => {
      await parley.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
});
afterAll(() => server.stop());

describe('session lifecycle events', () => {
  it('are resource-bind, then stream-closed, session-ending and resource-unbind when a client logs out', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    seen.length = 0;
    const alice = await online(server, aliceJid!, { resource: 'desk' });
    await alice.stop();
    await expect.poll(() => seen).toContain('resource-unbind desk closed');
    expect(seen).toEqual(['resource-bind desk', 'stream-closed desk', 'session-ending desk closed', 'resource-unbind desk closed']);
  });

  it('name a replaced session (RFC 6120 §7.7.2.2 conflict) as such', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const first = await online(server, bobJid!, { resource: 'same' });
    seen.length = 0;
    const second = await online(server, bobJid!, { resource: 'same' });
    await expect.poll(() => seen).toContain('resource-bind same');
    // the old session ends first, then its stream gets <conflict/>; no session-ending: it is not the stream's choice
    expect(seen).toEqual(['resource-unbind same replaced', 'stream-closed same', 'resource-bind same']);
    await stopAll(first, second);
  });
});

describe('a vetoed session-ending', () => {
  it('keeps the session bound without a stream: no unavailable presence, stanzas for it are kept offline, a new login replaces it', async () => {
    const [carolJid, daveJid] = await createUsers(server, ['carol', 'dave']);
    const carol = await online(server, carolJid!, { resource: 'keep' });
    const dave = await online(server, daveJid!);
    await befriend(carol, dave);
    const carolFull = `${carolJid}/keep`;

    seen.length = 0;
    dropConnection(carol);
    await expect.poll(() => seen).toContain('session-ending keep connection-lost');
    // Dave sees nothing: the session is still there, available, only without a stream.
    await expectNothing(dave, isPresenceFrom(carolFull, 'unavailable'), { waitMs: 200 });
    expect(seen).not.toContain('resource-unbind keep connection-lost');
    const kept = server.server.sessions.get(carolFull);
    expect(kept?.attached).toBe(false);
    expect(server.server.sessionTable.get(carolFull)?.available).toBe(true);

    // A message to the full JID reaches a session without a stream: delivery-failed, and the
    // default (nobody took it over) keeps it offline (XEP-0160).
    await dave.xmpp.send(chat(carolFull, 'while you were away'));
    await expect.poll(() => seen).toContain('delivery-failed keep');
    await expect.poll(() => server.server.storage.offline.count(carolJid!)).toBe(1);

    // Carol logs in again with the same resource: the kept session ends (replaced), Dave sees it go,
    // and the new session gets the message.
    const back = await online(server, carolJid!, { resource: 'keep', presence: false });
    await received(dave, isPresenceFrom(carolFull, 'unavailable'));
    expect(seen).toContain('resource-unbind keep replaced');
    await back.xmpp.send(xml('presence'));
    const message = await received(back, isMessage('while you were away'));
    expect(message.getChild('delay', 'urn:xmpp:delay')?.attrs.from).toBe('example.com');
    await stopAll(back, dave);
  });
});
