// PEP with a real third-party client: slixmpp 1.8 (Debian's python3-slixmpp) announces its caps
// (XEP-0115, verified by the server's disco#info), gets a tune only where its plugins asked for it
// (XEP-0118 tune+notify), publishes an avatar (XEP-0084, turned into the vCard photo: XEP-0398) and
// XEP-0048 bookmarks in private storage (XEP-0049, kept as XEP-0402 items: XEP-0411).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, passwordOf } from './helpers/im.ts';

const SCRIPT = fileURLToPath(new URL('./helpers/slixmpp_pep.py', import.meta.url));

let server: TestServer;
beforeAll(async () => { server = await startServer({ config: { c2s: { allowPlaintextOnLoopback: false } } }); });
afterAll(() => server.stop());

function run(spec: object): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    execFile('/usr/bin/python3', [SCRIPT, JSON.stringify(spec)], { timeout: 60_000 }, (error, stdout, stderr) => {
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
      } catch {
        resolve({ error: `${error?.message ?? 'no output'} ${stderr.slice(-2000)}` });
      }
    });
  });
}

it('slixmpp: caps-filtered tune, avatar to vCard, bookmarks through private storage, a refused publish', async () => {
  const jids = await createUsers(server, ['alice', 'bob', 'carol']);
  const [alice, bob, carol] = jids as [string, string, string];
  // mutual presence subscriptions, set in storage (this test is not about subscribing)
  for (const owner of jids) {
    for (const contact of jids) {
      if (owner !== contact) await server.server.storage.roster.put(owner, { jid: contact, name: null, subscription: 'both', ask: false, approved: false, groups: [] });
    }
  }
  const account = (jid: string) => ({ jid, password: passwordOf(jid) });
  const seen = await run({ host: '127.0.0.1', port: server.ports.c2s, alice: account(alice), bob: account(bob), carol: account(carol), timeout: 40 });
  expect(seen.error).toBeUndefined();
  expect(seen.bob_tune).toBe('Blackbird');
  // Carol's caps say no '+notify' at all: she gets no event
  expect(seen.carol_events).toEqual([]);
  expect(seen.vcard_photo_matches).toBe(true);
  expect(seen.bookmarks).toEqual(['lounge@rooms.example.com']);
  expect(seen.bob_publish_error).toBe('forbidden');
}, 90_000);
