// The SASL2 negotiation as a unit (XEP-0388, XEP-0386, XEP-0484): elements in, replies out, on a
// real SQLite store with real accounts. Socket-level tests are in test/sasl2.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JID, NS, xml, type Element } from '@parley/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authentication } from '../../auth/authentication.ts';
import { FastTokens, hashedToken } from '../../auth/fast-tokens.ts';
import { addDomain, addUser } from '../../cli/accounts.ts';
import { configSchema } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { LoginThrottle, type ChannelBinding } from '../../sasl/index.ts';
import { TestScramClient } from '../../sasl/test-scram-client.ts';
import { openDataFolder, type DataStores } from '../../data-folder.ts';
import { StreamExtensions } from '../../core/stream-extensions.ts';
import { Sasl2Negotiation, type Sasl2Connection, type Sasl2Outcome, type Sasl2Services } from './negotiation.ts';

interface FakeSession { jid: JID; enabled: string[] }

let dir: string;
let data: DataStores;
let services: Sasl2Services<FakeSession>;
const extensions = new StreamExtensions<FakeSession>();

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-sasl2-'));
  data = openDataFolder(dir);
  await addDomain(data, 'example.com');
  await addUser(data, 'juliet@example.com', 'r0meo');
  const { storage, directory } = data;
  const config = configSchema.parse({ domains: ['example.com'], dataDir: dir });
  const log = createLogger('silent');
  services = {
    authentication: new Authentication(config, storage, directory, log),
    throttle: new LoginThrottle({ addressFailures: 100, accountFailures: 100, baseDelayMs: 1, maxDelayMs: 1, windowMs: 1000 }),
    log,
    extensions,
    fastTokens: new FastTokens(storage.fastTokens, { lifetimeSeconds: 3600, rotateAfterSeconds: 3600 }),
  };
  // What the stream-management and carbons modules will register (issue 11), played by test features.
  extensions.addSasl2Inline({
    xmlns: 'urn:example:resume',
    advertise: () => xml('resume-here', { xmlns: 'urn:example:resume' }),
    negotiate: (requests, context) => {
      if (requests[0]!.attrs.previd !== 'known') return xml('failed', { xmlns: 'urn:example:resume' });
      context.stream.resume({ jid: new JID(context.account.local, context.account.domain, 'old'), enabled: ['resumed'] });
      return xml('resumed', { xmlns: 'urn:example:resume' });
    },
  }, 'test');
  extensions.addBind2Inline({
    var: 'urn:example:carbons',
    enable: (_requests, context) => { context.session.enabled.push('carbons'); },
  }, 'test');
  extensions.addBind2Inline({
    var: 'urn:example:sm',
    enable: (_requests, context) => { context.session.enabled.push('sm'); return xml('enabled', { xmlns: 'urn:example:sm', id: 'sm-1' }); },
  }, 'test');
});

afterAll(async () => {
  await data.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const tlsConnection = (channelBinding: ChannelBinding | null = null): Sasl2Connection => ({
  domain: 'example.com', transport: 'tcp', encrypted: true, remoteAddress: '192.0.2.1', channelBinding,
});

function negotiation(connection = tlsConnection()) {
  const written: Element[] = [];
  const sessions: FakeSession[] = [];
  const authenticated: string[] = [];
  const sasl2 = new Sasl2Negotiation(services, connection, {
    write: (element) => written.push(element),
    authenticated: (account) => authenticated.push(account.toString()),
    bind: (account, resource) => {
      const session = { jid: new JID(account.local, account.domain, resource), enabled: [] };
      sessions.push(session);
      return { session, jid: session.jid };
    },
    resume: (session) => session.jid,
    resumeMoved: (jid) => ({ jid, enabled: [] }),
  });
  return { sasl2, written, sessions, authenticated, last: () => written[written.length - 1]! };
}

const authenticate = (mechanism: string, initial: Buffer | null, ...children: Element[]) =>
  xml('authenticate', { xmlns: NS.sasl2, mechanism },
    initial ? xml('initial-response', null, initial.toString('base64')) : null, ...children);
const userAgent = (id = 'c1a4f7e0-phone') =>
  xml('user-agent', { id }, xml('software', null, 'Test IM'), xml('device', null, 'phone'));
const plainMessage = (password = 'r0meo') => Buffer.from(`\0juliet\0${password}`);

function failureOf(element: Element): { condition: string | undefined; text: string | undefined } {
  expect(element.is('failure', NS.sasl2)).toBe(true);
  const condition = element.children.find((child): child is Element => typeof child !== 'string' && child.getNS() === NS.sasl);
  return { condition: condition?.name, text: element.getChildText('text') ?? undefined };
}

describe('SASL2 negotiation', () => {
  it('advertises mechanisms, Bind 2 with its inline features, FAST and the registered inline features', () => {
    const features = Sasl2Negotiation.advertise(services, tlsConnection())!;
    expect(features.getChildren('mechanism').map((m) => m.getText())).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    const inline = features.getChild('inline')!;
    expect(inline.getChild('bind', NS.bind2)!.getChild('inline')!.getChildren('feature').map((f) => f.attrs.var))
      .toEqual(['urn:example:carbons', 'urn:example:sm']);
    expect(inline.getChild('fast', NS.fast)!.getChildren('mechanism').map((m) => m.getText())).toEqual(['HT-SHA-256-NONE']);
    expect(inline.getChild('resume-here', 'urn:example:resume')).toBeDefined();
  });

  it('with channel binding: -PLUS first, and FAST with the binding HT mechanisms', () => {
    const binding: ChannelBinding = { types: ['tls-exporter', 'tls-server-end-point'], data: () => Buffer.alloc(32) };
    const features = Sasl2Negotiation.advertise(services, tlsConnection(binding))!;
    expect(features.getChildren('mechanism').map((m) => m.getText()).slice(0, 2)).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS']);
    expect(features.getChild('inline')!.getChild('fast', NS.fast)!.getChildren('mechanism').map((m) => m.getText()))
      .toEqual(['HT-SHA-256-EXPR', 'HT-SHA-256-ENDP', 'HT-SHA-256-NONE']);
  });

  it('without TLS: no PLAIN, no FAST', () => {
    const features = Sasl2Negotiation.advertise(services, { ...tlsConnection(), encrypted: false })!;
    expect(features.getChildren('mechanism').map((m) => m.getText())).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1']);
    expect(features.getChild('inline')!.getChild('fast', NS.fast)).toBeUndefined();
  });

  it('SCRAM-SHA-256 with challenge and response: success with the server signature and the bare JID', async () => {
    const { sasl2, last } = negotiation();
    const client = new TestScramClient({ hash: 'SHA-256', username: 'juliet', password: 'r0meo' });
    expect((await sasl2.handle(authenticate('SCRAM-SHA-256', client.first()))).kind).toBe('continue');
    expect(last().is('challenge', NS.sasl2)).toBe(true);
    const response = xml('response', { xmlns: NS.sasl2 }, client.final(Buffer.from(last().getText(), 'base64')).toString('base64'));
    const outcome = await sasl2.handle(response);
    expect(outcome).toMatchObject({ kind: 'success', session: null });
    const success = last();
    expect(success.is('success', NS.sasl2)).toBe(true);
    expect(success.getChildText('authorization-identifier')).toBe('juliet@example.com');
    expect(client.verify(Buffer.from(success.getChildText('additional-data')!, 'base64'))).toBe(true);
  });

  it('Bind 2: the resource is bound with the tag, inline features enabled, <bound/> in <success/>', async () => {
    const { sasl2, last, sessions, authenticated } = negotiation();
    const outcome = await sasl2.handle(authenticate('PLAIN', plainMessage(), userAgent(),
      xml('bind', { xmlns: NS.bind2 }, xml('tag', null, 'TestIM'),
        xml('enable', { xmlns: 'urn:example:carbons' }), xml('enable', { xmlns: 'urn:example:sm' }),
        xml('unknown', { xmlns: 'urn:example:unknown' }))));
    expect(outcome.kind).toBe('success');
    const jid = last().getChildText('authorization-identifier')!;
    expect(jid).toMatch(/^juliet@example\.com\/TestIM\/[A-Za-z0-9_-]{12}$/);
    expect(authenticated).toEqual(['juliet@example.com']);
    expect(sessions[0]!.enabled).toEqual(['carbons', 'sm']);
    const bound = last().getChild('bound', NS.bind2)!;
    expect(bound.getChild('enabled', 'urn:example:sm')!.attrs.id).toBe('sm-1');
    // the same client gets the same resource next time, so its new session replaces its old one
    const again = negotiation();
    await again.sasl2.handle(authenticate('PLAIN', plainMessage(), userAgent(), xml('bind', { xmlns: NS.bind2 }, xml('tag', null, 'TestIM'))));
    expect(again.last().getChildText('authorization-identifier')).toBe(jid);
    // the user-agent id is not in it
    expect(jid).not.toContain('c1a4f7e0');
  });

  it('a SASL2 inline feature that resumes a session skips Bind 2; one that fails lets Bind 2 go on', async () => {
    const resumed = negotiation();
    const outcome = await resumed.sasl2.handle(authenticate('PLAIN', plainMessage(),
      xml('resume', { xmlns: 'urn:example:resume', previd: 'known' }), xml('bind', { xmlns: NS.bind2 })));
    expect(outcome).toMatchObject({ kind: 'success', resumed: true, session: { enabled: ['resumed'] } });
    expect(resumed.last().getChildText('authorization-identifier')).toBe('juliet@example.com/old');
    expect(resumed.last().getChild('resumed', 'urn:example:resume')).toBeDefined();
    expect(resumed.last().getChild('bound', NS.bind2)).toBeUndefined();

    const failed = negotiation();
    await failed.sasl2.handle(authenticate('PLAIN', plainMessage(),
      xml('resume', { xmlns: 'urn:example:resume', previd: 'gone' }), xml('bind', { xmlns: NS.bind2 })));
    expect(failed.last().getChild('failed', 'urn:example:resume')).toBeDefined();
    expect(failed.last().getChild('bound', NS.bind2)).toBeDefined();
    expect(failed.sessions).toHaveLength(1);
  });

  it('FAST: a token on request, then a sign-in with it, then invalidation', async () => {
    const first = negotiation();
    await first.sasl2.handle(authenticate('PLAIN', plainMessage(), userAgent(),
      xml('request-token', { xmlns: NS.fast, mechanism: 'HT-SHA-256-NONE' })));
    const tokenElement = first.last().getChild('token', NS.fast)!;
    const token = tokenElement.attrs.token!;
    expect(tokenElement.attrs.expiry).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const fast = negotiation();
    const proof = Buffer.concat([Buffer.from('juliet\0'), hashedToken(token, 'Initiator')]);
    const outcome = await fast.sasl2.handle(authenticate('HT-SHA-256-NONE', proof, userAgent(), xml('fast', { xmlns: NS.fast })));
    expect(outcome.kind).toBe('success');
    expect(Buffer.from(fast.last().getChildText('additional-data')!, 'base64')).toEqual(hashedToken(token, 'Responder'));
    expect(fast.last().getChild('token', NS.fast)).toBeUndefined(); // not due for rotation

    const signOut = negotiation();
    await signOut.sasl2.handle(authenticate('HT-SHA-256-NONE', proof, userAgent(), xml('fast', { xmlns: NS.fast, invalidate: 'true' })));
    expect(signOut.last().is('success', NS.sasl2)).toBe(true);
    const after = negotiation();
    await after.sasl2.handle(authenticate('HT-SHA-256-NONE', proof, userAgent(), xml('fast', { xmlns: NS.fast })));
    expect(failureOf(after.last()).condition).toBe('not-authorized');
  });

  const failures: Array<[string, () => Element, string, RegExp?]> = [
    ['an unknown mechanism', () => authenticate('DIGEST-MD5', null), 'invalid-mechanism'],
    ['no mechanism attribute', () => xml('authenticate', { xmlns: NS.sasl2 }), 'malformed-request'],
    ['an upgrade never announced', () => xml('authenticate', { xmlns: NS.sasl2, mechanism: 'PLAIN', upgrade: 'SCRAM-SHA-512' }), 'invalid-mechanism'],
    ['an initial response that is not base64', () => xml('authenticate', { xmlns: NS.sasl2, mechanism: 'PLAIN' }, xml('initial-response', null, '%%%')), 'incorrect-encoding'],
    ['a wrong password', () => authenticate('PLAIN', plainMessage('wrong')), 'not-authorized'],
    ['an HT mechanism without <fast/>', () => authenticate('HT-SHA-256-NONE', Buffer.from('juliet\0x')), 'malformed-request', /needs <fast/],
    ['<fast/> with a password mechanism', () => authenticate('PLAIN', plainMessage(), userAgent(), xml('fast', { xmlns: NS.fast })), 'invalid-mechanism'],
    ['<fast/> without a user-agent id', () => authenticate('HT-SHA-256-NONE', Buffer.from('juliet\0x'), xml('fast', { xmlns: NS.fast })), 'malformed-request', /user-agent/],
    ['a token for a mechanism not offered', () => authenticate('PLAIN', plainMessage(), userAgent(), xml('request-token', { xmlns: NS.fast, mechanism: 'HT-SHA-256-ENDP' })), 'malformed-request'],
    ['a malformed HT message', () => authenticate('HT-SHA-256-NONE', Buffer.from('juliet-without-nul'), userAgent(), xml('fast', { xmlns: NS.fast })), 'malformed-request'],
    ['a bad user-agent id', () => authenticate('PLAIN', plainMessage(), userAgent('')), 'malformed-request'],
  ];
  for (const [what, element, condition, text] of failures) {
    it(`fails on ${what} with ${condition}`, async () => {
      const { sasl2, last, sessions, authenticated } = negotiation();
      const outcome: Sasl2Outcome<FakeSession> = await sasl2.handle(element());
      expect(outcome).toEqual({ kind: 'failure', condition });
      expect(failureOf(last()).condition).toBe(condition);
      if (text) expect(failureOf(last()).text).toMatch(text);
      expect(sessions).toEqual([]);
      expect(authenticated).toEqual([]);
    });
  }

  it('abort, a response with nothing in progress, and a second authenticate during one', async () => {
    const { sasl2, last } = negotiation();
    await sasl2.handle(xml('response', { xmlns: NS.sasl2 }, 'AAAA'));
    expect(failureOf(last()).condition).toBe('malformed-request');
    const client = new TestScramClient({ hash: 'SHA-1', username: 'juliet', password: 'r0meo' });
    await sasl2.handle(authenticate('SCRAM-SHA-1', client.first()));
    await sasl2.handle(authenticate('SCRAM-SHA-1', client.first()));
    expect(failureOf(last())).toEqual({ condition: 'malformed-request', text: 'authentication already in progress' });
    await sasl2.handle(authenticate('SCRAM-SHA-1', client.first()));
    await sasl2.handle(xml('abort', { xmlns: NS.sasl2 }));
    expect(failureOf(last()).condition).toBe('aborted');
  });

  it('a second registration for the same namespace throws', () => {
    expect(() => extensions.addBind2Inline({ var: 'urn:example:sm', enable: () => null }, 'another-module'))
      .toThrow(/another-module: Bind 2 inline urn:example:sm is already handled by test/);
  });
});
