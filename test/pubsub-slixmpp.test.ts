// The pubsub.<domain> service with a real third-party client: slixmpp 1.8's xep_0060 plugin (Debian's
// python3-slixmpp) finds the service in disco, creates nodes (instant, configured), publishes,
// subscribes with options, retracts, goes through the authorize flow and deletes (XEP-0060 §5–§8).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, passwordOf } from './helpers/im.ts';

const SCRIPT = fileURLToPath(new URL('./helpers/slixmpp_pubsub.py', import.meta.url));

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

it('slixmpp xep_0060: discovery, instant and configured nodes, publish, options, retract, authorize, delete', async () => {
  const [alice, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']) as [string, string, string];
  const account = (jid: string) => ({ jid, password: passwordOf(jid) });
  const seen = await run({
    host: '127.0.0.1', port: server.ports.c2s, domain: 'example.com', alice: account(alice), bob: account(bob), carol: account(carol), timeout: 40,
  });
  expect(seen.error).toBeUndefined();
  expect(seen.service).toBe('pubsub.example.com');
  expect(seen.instant_node).toMatch(/^[0-9a-f]{24}$/);
  expect(seen.title).toBe('Slix news');
  expect(seen.bob_subscription).toBe('subscribed');
  expect(seen.bob_event).toEqual(['n1', 'hello from slixmpp']);
  expect(seen.bob_items).toEqual(['n2']);
  expect(seen.bob_retract).toBe('n1');
  expect(seen.bob_publish_error).toBe('forbidden');
  expect(seen.carol_subscription).toBe('pending');
  expect(seen.carol_told).toBe('subscribed');
  expect(seen.bob_delete).toBe('slix-news');
}, 90_000);
