// XEP-0198 with @xmpp/client 0.14 over WebSocket: its stream management enables resumption, the
// WebSocket is cut, its reconnect plugin resumes the session, and what was sent meanwhile arrives.
import { client as xmppClient, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { serviceUrl, startClient } from './helpers/clients.ts';
import { createUsers, passwordOf } from './helpers/im.ts';
import { chatXml } from './helpers/sm.ts';
import { connectTcp, openBoundSession } from './helpers/raw-stream.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { c2s: { allowPlaintextOnLoopback: true } } });
});
afterAll(() => server.stop());

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('@xmpp/client stream management over WebSocket', () => {
  it('resumes after the WebSocket is cut and receives the messages sent meanwhile, each once', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const [username, domain] = aliceJid!.split('@') as [string, string];
    const alice = xmppClient({ service: serviceUrl(server, 'websocket'), domain, username, password: passwordOf(aliceJid!), resource: 'panel' });
    alice.on('error', () => {});
    const sm = (alice as unknown as { streamManagement: { id: string; enabled: boolean; on(event: string, f: () => void): void } }).streamManagement;
    let resumptions = 0;
    sm.on('resumed', () => { resumptions++; });
    const bodies: string[] = [];
    alice.on('stanza', (stanza: Element) => {
      if (stanza.is('message')) bodies.push(stanza.getChildText('body') ?? '');
    });
    await startClient(alice);
    await until(() => sm.enabled && sm.id !== '', 'stream management enabled');
    await alice.send(xml('presence'));
    // Bind 2 (XEP-0386 §3.1): the server makes the resource from the client's tag
    const full = (alice as unknown as { jid: { toString(): string } }).jid.toString();
    expect(full.startsWith(`${aliceJid}/panel`)).toBe(true);
    const bob = await openBoundSession(await connectTcp(server.ports.c2s), bobJid!.split('@')[0]!, passwordOf(bobJid!));
    bob.peer.send(chatXml(full, 'before'));
    await until(() => bodies.includes('before'), "'before'");
    // the network goes: the WebSocket is cut under the client
    (alice as unknown as { socket: { socket: { terminate(): void } } }).socket.socket.terminate();
    await until(() => server.server.sessionTable.get(full)?.hibernatedUntil != null, 'the session waiting for resumption');
    for (const body of ['during-1', 'during-2']) bob.peer.send(chatXml(full, body));
    await until(() => resumptions === 1 && bodies.includes('during-2'), 'resumption and the missed messages');
    expect(bodies).toEqual(['before', 'during-1', 'during-2']);
    bob.peer.send(chatXml(full, 'after'));
    await until(() => bodies.includes('after'), "'after'");
    expect(bodies).toEqual(['before', 'during-1', 'during-2', 'after']);
    alice.reconnect.stop();
    await alice.stop().catch(() => {});
    bob.peer.destroy();
  });
});
