// Logging in and chatting with a real client (@xmpp/client) on every transport.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login, xml, type Transport } from './helpers/clients.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    users: { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' },
  });
});
afterAll(() => server.stop());

describe.each<Transport>(['starttls', 'tls', 'websocket'])('over %s', (transport) => {
  it('logs in, binds a resource and exchanges messages with a user on another transport', async () => {
    const alice = await login(server, 'alice@example.com', 'alice-pw', { transport });
    const bob = await login(server, 'bob@example.com', 'bob-pw', { transport: transport === 'websocket' ? 'starttls' : 'websocket' });
    expect(alice.jid).toMatch(/^alice@example\.com\/.+/);

    const toBob = bob.next((s) => s.is('message'));
    await alice.xmpp.send(xml('message', { to: 'bob@example.com', type: 'chat', id: 'm1' }, xml('body', {}, 'Hello Bob')));
    const message = await toBob;
    expect(message.attrs.from).toBe(alice.jid);
    expect(message.getChildText('body')).toBe('Hello Bob');

    const toAlice = alice.next((s) => s.is('message'));
    await bob.xmpp.send(xml('message', { to: alice.jid, type: 'chat' }, xml('body', {}, 'Hi Alice <3 & more')));
    expect((await toAlice).getChildText('body')).toBe('Hi Alice <3 & more');
    await Promise.all([alice.stop(), bob.stop()]);
  });
});

it('refuses a wrong password with not-authorized', async () => {
  await expect(login(server, 'alice@example.com', 'wrong')).rejects.toThrow(/not-authorized/);
});
