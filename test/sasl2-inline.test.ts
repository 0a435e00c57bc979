// The sign-in seam (core/sign-in-extensions.ts) through real sockets: a module registers SASL2 and
// Bind 2 inline features through its ModuleContext — as stream management (resumption inside
// SASL2, <enable/> inside Bind 2) and carbons do — and the client stream advertises and runs them.
// The test module plays XEP-0198 in miniature: it keeps a dropped session (session-ending veto),
// keeps what the session missed (delivery-failed) and resumes it inside <authenticate/>.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Element } from 'ltx';
import { NS as SHARED_NS, xml } from '@parley/shared';
import { defineModule } from '../server/src/core/module-api.ts';
import type { SessionHandle } from '../server/src/core/origin.ts';
import { defaultModules } from '../server/src/modules/index.ts';
import { SaslError } from '../server/src/sasl/index.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { connectTcp, connectWebSocket, NS, type RawPeer } from './helpers/raw-stream.ts';
import { authenticateXml, failureOf, plainMessage, scramExchange, userAgentXml } from './helpers/sasl2.ts';

const RESUME = 'urn:example:resume';
const GREET = 'urn:example:greet';
const TCP_ONLY = 'urn:example:tcp-only';
const BROKEN = 'urn:example:broken';

/** Sessions kept after their connection dropped, and what was sent to them meanwhile. */
const kept = new Map<string, SessionHandle>();
const missed = new Map<string, string[]>();
const unbound: string[] = [];

const signInFeatures = defineModule({
  name: 'test-sign-in',
  implements: [],
  register(ctx) {
    ctx.bind2Inline({
      var: GREET,
      enable(requests, { session, jid }) {
        // sent before <success/> is written: it must reach the client after it
        session.deliver(xml('message', { from: jid.domain, to: jid.full, type: 'headline' }, xml('body', null, 'welcome')));
        return xml('greeted', { xmlns: GREET, count: String(requests.length) });
      },
    });
    ctx.bind2Inline({ var: TCP_ONLY, available: (stream) => stream.transport === 'tcp', enable: () => xml('tcp-only', { xmlns: TCP_ONLY }) });
    ctx.bind2Inline({ var: BROKEN, enable: () => { throw new Error('the feature broke'); } });
    // The same namespace in both registries, as XEP-0198 has it (<resume/> in SASL2, <enable/> in Bind 2).
    ctx.bind2Inline({ var: RESUME, enable: (_requests, { session }) => xml('resumable', { xmlns: RESUME, id: session.id }) });
    ctx.on('session-ending', (ending) => {
      if (ending.reason.kind !== 'connection-lost' || !ending.session.jid.resource.startsWith('Keep/')) return;
      ending.veto();
      kept.set(ending.session.id, ending.session);
    });
    ctx.on('delivery-failed', ({ session, stanza }) => void missed.set(session.id, [...(missed.get(session.id) ?? []), stanza]));
    ctx.on('resource-unbind', ({ session }) => void unbound.push(session.jid.full));
    ctx.sasl2Inline({
      xmlns: RESUME,
      advertise: () => xml('resume', { xmlns: RESUME }),
      validate(requests) {
        if (!requests[0]!.attrs.previd) throw new SaslError('malformed-request', 'resume without previd');
      },
      negotiate(requests, { stream, account }) {
        const previd = requests[0]!.attrs.previd!;
        const session = kept.get(previd);
        if (!session || session.jid.bare !== account.bare) return xml('failed', { xmlns: RESUME });
        kept.delete(previd);
        stream.resume(session);
        for (const stanza of missed.get(previd) ?? []) session.deliverSerialized(stanza);
        missed.delete(previd);
        return xml('resumed', { xmlns: RESUME, previd });
      },
    });
  },
});

const users = { 'juliet@example.com': 'r0meo', 'romeo@example.com': 'jul1et' };
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ users, modules: [...defaultModules, signInFeatures], config: { limits: { authFailures: 1000 } } });
});
afterAll(() => server?.stop());

async function tlsStream(): Promise<{ peer: RawPeer; features: Element }> {
  const peer = await connectTcp(server.ports.c2sTls!, { tls: true });
  peer.openStream();
  await peer.receiveHeader();
  return { peer, features: await peer.receiveFeatures() };
}

/** A SASL2 sign-in with PLAIN and these children; the <success/> (the features after it are read too). */
async function signIn(peer: RawPeer, username: string, ...children: string[]): Promise<Element> {
  peer.send(authenticateXml('PLAIN', plainMessage(username, users[`${username}@example.com` as keyof typeof users]), ...children));
  const success = await peer.receive('success', NS.sasl2);
  await peer.receiveFeatures();
  return success;
}

const bind2 = (...inline: string[]) => `<bind xmlns='${NS.bind2}'><tag>Keep</tag>${inline.join('')}</bind>`;
const inlineVars = (features: Element) =>
  features.getChild('authentication', NS.sasl2)!.getChild('inline')!.getChild('bind', NS.bind2)!
    .getChild('inline')!.getChildren('feature').map((feature) => feature.attrs.var);

describe('inline features registered by a module', () => {
  it('are advertised in <authentication><inline/> and Bind 2 <inline/>, per transport', async () => {
    const { peer, features } = await tlsStream();
    const inline = features.getChild('authentication', NS.sasl2)!.getChild('inline')!;
    expect(inline.getChild('resume', RESUME)).toBeDefined();
    // the test module's features in registration order, beside the default modules' own
    // (stream management, carbons, client state: test/sign-in-inline.test.ts)
    const ours = (vars: string[]) => vars.filter((v) => v.startsWith('urn:example:'));
    expect(ours(inlineVars(features))).toEqual([GREET, TCP_ONLY, BROKEN, RESUME]);
    expect(inlineVars(features)).toEqual(expect.arrayContaining(['urn:xmpp:sm:3', 'urn:xmpp:carbons:2', 'urn:xmpp:csi:0']));
    peer.destroy();

    const ws = await connectWebSocket(server.ports.http);
    ws.openStream();
    await ws.receiveHeader();
    expect(ours(inlineVars(await ws.receiveFeatures()))).toEqual([GREET, BROKEN, RESUME]);
    // not offered on this stream: ignored like an unknown extension
    const success = await scramExchange(ws, {
      mechanism: 'SCRAM-SHA-256', username: 'juliet', password: 'r0meo', children: [bind2(`<enable xmlns='${TCP_ONLY}'/>`)],
    });
    expect(success.getChild('bound', NS.bind2)!.getChildElements()).toEqual([]);
    ws.destroy();
  });

  it('Bind 2 on the transport a feature is offered on: enabled', async () => {
    const { peer } = await tlsStream();
    const success = await signIn(peer, 'juliet', bind2(`<enable xmlns='${TCP_ONLY}'/>`));
    expect(success.getChild('bound', NS.bind2)!.getChild('tcp-only', TCP_ONLY)).toBeDefined();
    peer.destroy();
  });

  it('Bind 2: what the feature returns is in <bound/>; what it sends the session comes after <success/> and the features', async () => {
    const { peer } = await tlsStream();
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), userAgentXml('greeted-client'),
      bind2(`<greet xmlns='${GREET}'/>`, `<greet xmlns='${GREET}'/>`)));
    const success = await peer.receive('success', NS.sasl2);
    const jid = success.getChildText('authorization-identifier')!;
    expect(success.getChild('bound', NS.bind2)!.getChild('greeted', GREET)!.attrs.count).toBe('2');
    const features = await peer.receiveFeatures();
    expect(features.getChild('bind', SHARED_NS.bind)).toBeUndefined();
    const welcome = await peer.receive('message');
    expect(welcome.attrs).toMatchObject({ to: jid, type: 'headline' });
    expect(welcome.getChildText('body')).toBe('welcome');
    peer.destroy();
  });

  it('a Bind 2 feature that fails after the resource is bound ends the stream with internal-server-error and the session', async () => {
    const { peer } = await tlsStream();
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), userAgentXml('broken-client'), bind2(`<enable xmlns='${BROKEN}'/>`)));
    await peer.receiveStreamError('internal-server-error');
    await expect.poll(() => unbound.some((jid) => jid.startsWith('juliet@example.com/Keep/'))).toBe(true);
  });

  it('a SASL2 feature refusing a malformed request fails the sign-in before the mechanism runs; the stream stays usable', async () => {
    const { peer } = await tlsStream();
    peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), `<resume xmlns='${RESUME}'/>`));
    expect(failureOf(await peer.receive('failure', NS.sasl2))).toEqual({ condition: 'malformed-request', text: 'resume without previd' });
    const success = await signIn(peer, 'juliet');
    expect(success.getChildText('authorization-identifier')).toBe('juliet@example.com');
    peer.destroy();
  });
});

describe('a session resumed inside SASL2', () => {
  it('takes over the kept session: its full JID, <resumed/> in <success/>, no Bind 2; what it missed follows the features', async () => {
    const first = await tlsStream();
    const bound = await signIn(first.peer, 'juliet', userAgentXml('resuming-client'), bind2(`<enable xmlns='${RESUME}'/>`));
    const jid = bound.getChildText('authorization-identifier')!;
    const previd = bound.getChild('bound', NS.bind2)!.getChild('resumable', RESUME)!.attrs.id!;
    first.peer.destroy(); // the connection drops: the module keeps the session
    await expect.poll(() => kept.has(previd)).toBe(true);

    const romeo = await tlsStream();
    await signIn(romeo.peer, 'romeo', bind2());
    romeo.peer.send(`<message to='${jid}' type='chat' id='m1'><body>while you were away</body></message>`);
    await expect.poll(() => missed.get(previd)?.length ?? 0).toBe(1);

    const second = await tlsStream();
    second.peer.send(authenticateXml('PLAIN', plainMessage('juliet', 'r0meo'), userAgentXml('resuming-client'),
      `<resume xmlns='${RESUME}' previd='${previd}'/>`, bind2()));
    const success = await second.peer.receive('success', NS.sasl2);
    expect(success.getChildText('authorization-identifier')).toBe(jid);
    expect(success.getChild('resumed', RESUME)!.attrs.previd).toBe(previd);
    expect(success.getChild('bound', NS.bind2)).toBeUndefined();
    expect((await second.peer.receiveFeatures()).getChild('bind', SHARED_NS.bind)).toBeUndefined();
    const message = await second.peer.receive('message');
    expect(message.getChildText('body')).toBe('while you were away');

    // the resumed session is the stream's: stanzas flow both ways
    second.peer.send(`<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect((await second.peer.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'p1', to: jid });
    romeo.peer.send(`<message to='${jid}' type='chat' id='m2'><body>welcome back</body></message>`);
    expect((await second.peer.receive('message')).getChildText('body')).toBe('welcome back');
    expect(unbound).not.toContain(jid);
    second.peer.destroy();
    romeo.peer.destroy();
  });

  it('an unknown id: <failed/> in <success/>, and Bind 2 binds a new session', async () => {
    const { peer } = await tlsStream();
    const success = await signIn(peer, 'juliet', userAgentXml('unknown-id'), `<resume xmlns='${RESUME}' previd='nothing-here'/>`, bind2());
    expect(success.getChild('failed', RESUME)).toBeDefined();
    expect(success.getChild('bound', NS.bind2)).toBeDefined();
    expect(success.getChildText('authorization-identifier')).toMatch(/^juliet@example\.com\/Keep\//);
    peer.destroy();
  });

  it("another account's session is not resumed", async () => {
    const first = await tlsStream();
    const bound = await signIn(first.peer, 'juliet', userAgentXml('foreign'), bind2(`<enable xmlns='${RESUME}'/>`));
    const previd = bound.getChild('bound', NS.bind2)!.getChild('resumable', RESUME)!.attrs.id!;
    first.peer.destroy();
    await expect.poll(() => kept.has(previd)).toBe(true);
    const { peer } = await tlsStream();
    const success = await signIn(peer, 'romeo', `<resume xmlns='${RESUME}' previd='${previd}'/>`);
    expect(success.getChild('failed', RESUME)).toBeDefined();
    expect(success.getChildText('authorization-identifier')).toBe('romeo@example.com');
    peer.destroy();
  });
});

describe('Bind 2 and the RFC 6120 conflict rule', () => {
  it("the same client's new session replaces its old one (same <tag>/<id> resource): <conflict/> on the old stream", async () => {
    const first = await tlsStream();
    const jid = (await signIn(first.peer, 'romeo', userAgentXml('romeo-laptop'), bind2())).getChildText('authorization-identifier')!;
    const second = await tlsStream();
    expect((await signIn(second.peer, 'romeo', userAgentXml('romeo-laptop'), bind2())).getChildText('authorization-identifier')).toBe(jid);
    await first.peer.receiveStreamError('conflict');
    const other = await tlsStream();
    expect((await signIn(other.peer, 'romeo', userAgentXml('romeo-phone'), bind2())).getChildText('authorization-identifier')).not.toBe(jid);
    second.peer.destroy();
    other.peer.destroy();
  });
});

describe('registration', () => {
  it('a second module for the same inline namespace stops the start, naming both', async () => {
    const again = defineModule({
      name: 'test-sign-in-again', implements: [],
      register(ctx) { ctx.bind2Inline({ var: GREET, enable: () => null }); },
    });
    await expect(startServer({ modules: [...defaultModules, signInFeatures, again] }))
      .rejects.toThrow(`test-sign-in-again: Bind 2 inline ${GREET} is already handled by test-sign-in`);
  });
});
