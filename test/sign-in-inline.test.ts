// What modules negotiate inside a SASL2 sign-in (XEP-0388 §2.1, XEP-0386 §3.2), through raw
// sockets: XEP-0198 <enable/> inside Bind 2 (its <enabled/> in <bound/>, no <sm/> feature offered
// again), <resume/> inside <authenticate/> (its <resumed/> in <success/>, the missed stanza resent,
// Bind 2 skipped; an unknown id fails inside <success/> and Bind 2 goes on), XEP-0280 carbons and
// XEP-0352 client state inside Bind 2.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp, openBoundSession, NS, type TcpPeer } from './helpers/raw-stream.ts';
import { authenticateXml, plainMessage, userAgentXml } from './helpers/sasl2.ts';

const NS_SM = 'urn:xmpp:sm:3';
const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_CSI = 'urn:xmpp:csi:0';
const users = { 'juliet@example.com': 'r0meo', 'romeo@example.com': 'jul1et' };
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true } } });
});
afterAll(() => server?.stop());

/** Direct TLS (XEP-0368), the stream opened; the features offered before authentication. */
async function tlsStream(): Promise<{ peer: TcpPeer; features: Element }> {
  const peer = await connectTcp(server.ports.c2sTls!, { tls: true });
  peer.openStream({ from: 'juliet@example.com' });
  await peer.receiveHeader();
  return { peer, features: await peer.receiveFeatures() };
}

/** Juliet signs in with PLAIN inside SASL2 with these children of <authenticate/>; <success/> and the features after it. */
async function signIn(...children: string[]): Promise<{ peer: TcpPeer; success: Element; features: Element }> {
  const { peer } = await tlsStream();
  peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), userAgentXml('inline-test'), ...children));
  const success = await peer.receive('success', NS.sasl2);
  return { peer, success, features: await peer.receiveFeatures() };
}

const bind2 = (...inline: string[]) => `<bind xmlns='${NS.bind2}'><tag>Inline</tag>${inline.join('')}</bind>`;
const chat = (to: string, body: string) => `<message type='chat' to='${to}' id='${body}'><body>${body}</body></message>`;

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The next stanza (skipping <r/> ack requests). */
async function nextStanza(peer: TcpPeer): Promise<Element> {
  for (;;) {
    const item = await peer.next();
    if (item.kind !== 'element') throw new Error(`expected a stanza, got ${item.kind}`);
    if (item.element.name === 'r' && item.element.attrs.xmlns === NS_SM) continue;
    return item.element;
  }
}

describe('inline features of a SASL2 sign-in', () => {
  it('are advertised: <sm/> in <authentication><inline/>, SM, carbons and CSI in Bind 2', async () => {
    const { peer, features } = await tlsStream();
    const inline = features.getChild('authentication', NS.sasl2)!.getChild('inline')!;
    expect(inline.getChild('sm', NS_SM)).toBeDefined();
    const bindFeatures = inline.getChild('bind', NS.bind2)!.getChild('inline')!.getChildren('feature').map((f) => f.attrs.var);
    expect(bindFeatures).toEqual(expect.arrayContaining([NS_SM, NS_CARBONS, NS_CSI]));
    peer.destroy();
  });

  it('XEP-0198 <enable/> in Bind 2: <enabled/> in <bound/>, counting from there, no <sm/> offered again', async () => {
    const { peer, success, features } = await signIn(bind2(`<enable xmlns='${NS_SM}' resume='true'/>`));
    const enabled = success.getChild('bound', NS.bind2)!.getChild('enabled', NS_SM)!;
    expect(enabled.attrs).toMatchObject({ resume: 'true', id: expect.any(String) });
    expect(features.getChild('sm', NS_SM)).toBeUndefined();
    peer.send(`<enable xmlns='${NS_SM}'/>`); // enabled already
    expect((await peer.receive('failed', NS_SM)).getChild('unexpected-request')).toBeDefined();
    peer.send(`<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await nextStanza(peer);
    peer.send(`<r xmlns='${NS_SM}'/>`);
    // the client's one stanza (the ping) is counted; the <enable/> nonza is not
    expect((await peer.receive('a', NS_SM)).attrs.h).toBe('1');
    peer.destroy();
  });

  it('XEP-0198 <resume/> in <authenticate/>: <resumed/> in <success/>, the same full JID, the missed message resent, no Bind 2', async () => {
    const first = await signIn(bind2(`<enable xmlns='${NS_SM}' resume='true'/>`));
    const full = first.success.getChildText('authorization-identifier')!;
    const previd = first.success.getChild('bound', NS.bind2)!.getChild('enabled', NS_SM)!.attrs.id!;
    first.peer.destroy(); // the connection is lost, not closed: the session waits
    await until(() => server.server.sessionTable.get(full)?.hibernatedUntil != null, 'the session waiting for resumption');
    const romeo = await openBoundSession(await connectTcp(server.ports.c2s), 'romeo', 'jul1et');
    romeo.peer.send(chat(full, 'while-away'));
    await new Promise((resolve) => setTimeout(resolve, 200)); // routed to the waiting session, kept there

    const { peer, success, features } = await signIn(`<resume xmlns='${NS_SM}' previd='${previd}' h='0'/>`, bind2());
    expect(success.getChildText('authorization-identifier')).toBe(full);
    expect(success.getChild('resumed', NS_SM)!.attrs).toMatchObject({ previd, h: '0' });
    expect(success.getChild('bound', NS.bind2)).toBeUndefined(); // XEP-0386 §3.2: resumption replaces binding
    expect(features.getChild('sm', NS_SM)).toBeUndefined();
    const resent = await nextStanza(peer);
    expect(resent.getChildText('body')).toBe('while-away');
    peer.destroy();
    romeo.peer.destroy();
  });

  it('an unknown previd: <failed/> with item-not-found inside <success/>, and Bind 2 binds a new session', async () => {
    const { peer, success } = await signIn(`<resume xmlns='${NS_SM}' previd='no-such-session' h='0'/>`,
      bind2(`<enable xmlns='${NS_SM}' resume='true'/>`));
    const failed = success.getChild('failed', NS_SM)!;
    expect(failed.getChild('item-not-found', NS.stanzas)).toBeDefined();
    expect(success.getChild('bound', NS.bind2)!.getChild('enabled', NS_SM)).toBeDefined();
    expect(success.getChildText('authorization-identifier')).toMatch(/^juliet@example\.com\/Inline\//);
    peer.destroy();
  });

  it('a <resume/> without previd fails with bad-request inside <success/>', async () => {
    const { peer, success } = await signIn(`<resume xmlns='${NS_SM}' h='0'/>`, bind2());
    expect(success.getChild('failed', NS_SM)!.getChild('bad-request', NS.stanzas)).toBeDefined();
    expect(success.getChild('bound', NS.bind2)).toBeDefined();
    peer.destroy();
  });

  it('XEP-0280 carbons enabled in Bind 2: a message to another resource arrives as a <received/> copy', async () => {
    const { peer, success } = await signIn(bind2(`<enable xmlns='${NS_CARBONS}'/>`));
    const full = success.getChildText('authorization-identifier')!;
    const other = await openBoundSession(await connectTcp(server.ports.c2s), 'juliet', 'r0meo', 'phone');
    const romeo = await openBoundSession(await connectTcp(server.ports.c2s), 'romeo', 'jul1et');
    romeo.peer.send(chat(other.jid, 'to-the-phone'));
    const copy = await nextStanza(peer);
    expect(copy.attrs.to).toBe(full);
    const forwarded = copy.getChild('received', NS_CARBONS)!.getChild('forwarded', 'urn:xmpp:forward:0')!;
    expect(forwarded.getChild('message')!.getChildText('body')).toBe('to-the-phone');
    for (const p of [peer, other.peer, romeo.peer]) p.destroy();
  });

  it('XEP-0352 <inactive/> in Bind 2: a contact\'s presence is held until <active/>', async () => {
    const { peer, success } = await signIn(bind2(`<inactive xmlns='${NS_CSI}'/>`));
    const full = success.getChildText('authorization-identifier')!;
    const romeo = await openBoundSession(await connectTcp(server.ports.c2s), 'romeo', 'jul1et');
    romeo.peer.send(`<presence to='${full}'><status>held</status></presence>`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    peer.send(`<iq type='get' id='p2' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
    // the pong comes first: the presence is held while inactive
    expect((await nextStanza(peer)).attrs.id).toBe('p2');
    peer.send(`<active xmlns='${NS_CSI}'/>`);
    const presence = await nextStanza(peer);
    expect(presence.name).toBe('presence');
    expect(presence.getChildText('status')).toBe('held');
    peer.destroy();
    romeo.peer.destroy();
  });
});
