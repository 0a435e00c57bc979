// Components on the host table (issue 10; ejabberd_router:register_route, as mod_muc uses it): a
// name served at run time by its own handler. Every stanza to that domain — any local part,
// resource or type, groupchat included — is the component's; when it goes, the name is not served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JID, type Element } from '@parley/shared';
import type { Component } from '../server/src/router/host-table.ts';
import type { Origin } from '../server/src/core/origin.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp, streamHeader } from './helpers/raw-stream.ts';
import { createUsers, errorCondition, isError, online, received, stopAll, xml } from './helpers/im.ts';

const DOMAIN = 'rooms.example.com';
let server: TestServer;
const arrived: Array<{ stanza: string; from: string; to: string; origin: string }> = [];
const hostEvents: string[] = [];

/** Echoes every message back to its sender, from the address it was sent to. */
const echo: Component = {
  kind: 'component',
  name: DOMAIN,
  receive(stanza: Element, from: JID, to: JID, origin: Origin) {
    arrived.push({ stanza: stanza.toString(), from: from.full, to: to.full, origin: origin.kind });
    if (stanza.name !== 'message') return;
    const reply = xml('message', { xmlns: 'jabber:client', type: stanza.attrs.type, from: to.full, to: from.full },
      xml('body', {}, `echo: ${stanza.getChildText('body')}`));
    return server.server.router.route(reply, to, from, { kind: 'component', domain: DOMAIN });
  },
};

beforeAll(async () => {
  server = await startServer();
  server.server.hub.on('host-added', ({ name, kind }) => void hostEvents.push(`added ${name} ${kind}`));
  server.server.hub.on('host-removed', ({ name, kind }) => void hostEvents.push(`removed ${name} ${kind}`));
  server.server.hosts.addComponent(echo);
});
afterAll(() => server.stop());

describe('a component domain', () => {
  it('takes groupchat to a JID with a local part (not bounced) and answers through the router', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    arrived.length = 0;
    await alice.xmpp.send(xml('message', { to: `lobby@${DOMAIN}`, type: 'groupchat' }, xml('body', {}, 'hello room')));
    const answer = await received(alice, (s) => s.is('message') && s.attrs.from === `lobby@${DOMAIN}`);
    expect(answer.attrs.type).toBe('groupchat');
    expect(answer.getChildText('body')).toBe('echo: hello room');
    // the router stamped the sender and handed the stanza over as it is
    expect(arrived).toEqual([expect.objectContaining({ from: alice.jid, to: `lobby@${DOMAIN}`, origin: 'client' })]);
    expect(alice.received.filter(isError('message'))).toEqual([]);
    await stopAll(alice);
  });

  it('takes presence to an occupant JID and iqs to the domain itself, untouched by the presence module', async () => {
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    arrived.length = 0;
    await bob.xmpp.send(xml('presence', { to: `lobby@${DOMAIN}/Bob` }));
    await bob.xmpp.send(xml('iq', { type: 'get', id: 'disco1', to: DOMAIN }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    await expect.poll(() => arrived.length).toBe(2);
    expect(arrived.map((entry) => entry.to)).toEqual([`lobby@${DOMAIN}/Bob`, DOMAIN]);
    expect(arrived[0]!.stanza).toContain('<presence');
    expect(arrived[1]!.stanza).toContain("id=\"disco1\"");
    await stopAll(bob);
  });

  it('is not a domain a client stream may be opened to (RFC 6120 §4.9.3.6 host-unknown)', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.send(streamHeader({ to: DOMAIN }));
    await client.receiveHeader();
    await client.receiveStreamError('host-unknown');
  });

  it('is announced when it comes and goes; afterwards the name is not served (remote-server-not-found, RFC 6120 §10.4.3)', async () => {
    const [carolJid] = await createUsers(server, ['carol']);
    const carol = await online(server, carolJid!);
    const name = 'echo.example.com';
    const component = { ...echo, name };
    server.server.hosts.addComponent(component);
    expect(hostEvents).toContain(`added ${name} component`);
    expect(() => server.server.hosts.addComponent({ ...echo, name })).toThrow(/already served/);
    // only the component that holds the name can take it away
    server.server.hosts.removeComponent({ ...echo, name });
    expect(server.server.hosts.has(name)).toBe(true);
    server.server.hosts.removeComponent(component);
    expect(hostEvents).toContain(`removed ${name} component`);
    await carol.xmpp.send(xml('message', { to: `someone@${name}`, type: 'chat', id: 'gone1' }, xml('body', {}, 'anyone?')));
    const bounce = await received(carol, (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'gone1');
    expect(errorCondition(bounce)).toBe('remote-server-not-found');
    await stopAll(carol);
  });
});
