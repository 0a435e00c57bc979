// BOSH sessions over raw HTTP (XEP-0124 §7, §13, §17; XEP-0206 §4, §5, §6): creation, login with a
// stream restart, terminate, the binding errors, limits and CORS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { BoshSession, NS_HTTPBIND, bodyXml, boshUrl, postRaw } from './helpers/bosh.ts';
import { createUsers, passwordOf } from './helpers/im.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    config: { bosh: { maxWait: 30, maxBodySize: 20_000, allowedOrigins: ['https://mail.example.com'] } },
  });
});
afterAll(() => server.stop());

describe('session creation (XEP-0124 §7.2, XEP-0206 §4)', () => {
  it('answers with the session attributes, bounded by the configuration, and the stream features', async () => {
    // Client sends: <body rid to='example.com' wait='60' hold='3' ver='1.6' ack='1' xmpp:version='1.0'/>
    const session = await BoshSession.open(server, { wait: 60, hold: 3, ver: '1.6', ack: true });
    const { status, headers, attrs, payloads } = session.creation;
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(attrs.xmlns).toBe(NS_HTTPBIND);
    expect(attrs.sid).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    // wait and hold never above what the server allows or the client asked; requests = hold + 1
    expect(attrs).toMatchObject({ wait: '30', hold: '1', requests: '2', inactivity: '60', polling: '2', maxpause: '120' });
    expect(attrs).toMatchObject({ ver: '1.6', from: 'example.com', 'xmpp:version': '1.0', 'xmpp:restartlogic': 'true' });
    // §9.1: acknowledgements start with the creation request's rid
    expect(attrs.ack).toBe(String(session.rid));
    expect(attrs.secure).toBeUndefined();
    const features = payloads.find((p) => p.name === 'stream:features');
    expect(features?.getChild('mechanisms')?.getChildElements().map((m) => m.getText())).toContain('SCRAM-SHA-1');
    // PLAIN needs an encrypted channel (RFC 6120 §13.8): this is plain HTTP
    expect(features?.getChild('mechanisms')?.getChildElements().map((m) => m.getText())).not.toContain('PLAIN');
  });

  it('logs in with SASL, restarts the stream with xmpp:restart, binds, and terminates with unavailable presence', async () => {
    const [jid] = await createUsers(server, ['ann']);
    const session = await BoshSession.open(server);
    expect(await session.login(jid!, passwordOf(jid!), 'web')).toBe(`${jid}/web`);
    const bound = server.server.sessions.get(`${jid}/web`);
    expect(bound?.stream?.transport).toBe('bosh');

    // Client sends: <body type='terminate'><presence type='unavailable'/></body>
    // Server answers: <body type='terminate'/>
    const end = await session.send(`<presence type='unavailable' xmlns='jabber:client'/>`, { type: 'terminate' });
    expect(end.attrs.type).toBe('terminate');
    expect(end.attrs.condition).toBeUndefined();
    expect(server.server.sessions.get(`${jid}/web`)).toBeUndefined();
    // the terminate body is what any later request of this session gets
    expect((await session.send()).attrs.type).toBe('terminate');
  });

  it('treats unqualified stanzas in a body as jabber:client (XEP-0206 §2 note)', async () => {
    const [jid] = await createUsers(server, ['unq']);
    const session = await BoshSession.open(server);
    await session.login(jid!, passwordOf(jid!));
    const reply = await session.send(`<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`);
    expect(reply.payloads[0]?.attrs).toMatchObject({ type: 'result', id: 'p1' });
  });
});

describe('terminal binding conditions (XEP-0124 §17.2)', () => {
  it('host-unknown for a domain we do not serve, improper-addressing without one', async () => {
    const unknown = await BoshSession.open(server, { to: 'elsewhere.example' });
    expect(unknown.creation.status).toBe(200);
    expect(unknown.creation.attrs).toMatchObject({ type: 'terminate', condition: 'host-unknown' });
    const reply = await postRaw(server, bodyXml({ rid: 42, wait: 10, hold: 1, ver: '1.11' }));
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'improper-addressing' });
  });

  it('item-not-found for an unknown sid', async () => {
    const reply = await postRaw(server, bodyXml({ rid: 43, sid: 'no-such-session' }));
    expect(reply.status).toBe(200);
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'item-not-found' });
  });

  it('bad-request for a body that is not well-formed, and the session it names ends', async () => {
    const session = await BoshSession.open(server);
    const broken = await postRaw(server, `<body rid='${session.rid + 1}' sid='${session.sid}' xmlns='${NS_HTTPBIND}'><message>`);
    expect(broken.attrs).toMatchObject({ type: 'terminate', condition: 'bad-request' });
    expect((await session.send('', { rid: session.rid + 2 })).attrs.condition).toBe('item-not-found');
  });

  it('bad-request for restricted XML, a wrong root, text in the body, or a bad rid', async () => {
    for (const text of [
      `<!DOCTYPE body><body xmlns='${NS_HTTPBIND}' rid='1'/>`,
      `<body xmlns='jabber:client' rid='1' to='example.com'/>`,
      `<body xmlns='${NS_HTTPBIND}' rid='1' to='example.com'>hello</body>`,
      `<body xmlns='${NS_HTTPBIND}' rid='-5' to='example.com' ver='1.11'/>`,
      '\u00ff\u00fe not xml',
    ]) {
      const reply = await postRaw(server, text);
      expect(reply.attrs, text).toMatchObject({ type: 'terminate', condition: 'bad-request' });
    }
  });

  it('gives a legacy client (no ver) the HTTP error codes of §17.1 instead', async () => {
    const legacy = await BoshSession.open(server, { ver: null });
    expect(legacy.creation.attrs.ver).toBe('1.11');
    const reply = await legacy.send('', { rid: legacy.rid + 10 });
    expect(reply.status).toBe(404);
  });

  it('ends a session whose body exceeds the size limit with policy-violation', async () => {
    const session = await BoshSession.open(server);
    const huge = `<message to='x@example.com' xmlns='jabber:client'><body>${'a'.repeat(30_000)}</body></message>`;
    const reply = await session.send(huge);
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'policy-violation' });
    expect((await session.send()).attrs.condition).toBe('item-not-found');
  });

  it('ends the stream with remote-stream-error carrying the <stream:error/> (XEP-0206 §6)', async () => {
    const session = await BoshSession.open(server);
    // a stanza before authentication is a stream error in the session layer
    const reply = await session.send(`<message to='x@example.com' xmlns='jabber:client'><body>hi</body></message>`);
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'remote-stream-error' });
    expect(reply.payloads[0]?.name).toBe('stream:error');
    expect(reply.payloads[0]?.getChild('not-authorized')).toBeDefined();
  });
});

describe('CORS', () => {
  const preflight = (origin: string) => fetch(boshUrl(server), {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });

  it('answers the preflight of an allowed origin and refuses others', async () => {
    const allowed = await preflight('https://mail.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://mail.example.com');
    expect(allowed.headers.get('access-control-allow-methods')).toContain('POST');
    expect(allowed.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('content-type');
    const denied = await preflight('https://evil.example');
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves an allowed origin and the same origin, and refuses a POST from another origin', async () => {
    const creation = bodyXml({ rid: 77, to: 'example.com', wait: 5, hold: 1, ver: '1.11' });
    const allowed = await postRaw(server, creation, { headers: { Origin: 'https://mail.example.com' } });
    expect(allowed.attrs.sid).toBeDefined();
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://mail.example.com');
    const same = await postRaw(server, creation, { headers: { Origin: `http://127.0.0.1:${server.ports.http}` } });
    expect(same.attrs.sid).toBeDefined();
    // the server's own page (a default public URL): allowed, and the echo is harmless for a same-origin request
    expect(same.headers.get('access-control-allow-origin')).toBe(`http://127.0.0.1:${server.ports.http}`);
    const denied = await postRaw(server, creation, { headers: { Origin: 'https://evil.example' } });
    expect(denied.status).toBe(403);
    expect(denied.body).toBeUndefined();
  });
});

describe('HTTPS', () => {
  it('marks a session opened over TLS secure, offers PLAIN, and drops its requests sent over plain HTTP', async () => {
    const tls = await startServer({ config: { http: { port: 0, tlsPort: 0 } } });
    try {
      const url = `https://127.0.0.1:${tls.ports.https}/http-bind`;
      const created = await postRaw(tls, bodyXml({ rid: 500, to: 'example.com', wait: 5, hold: 1, ver: '1.11' }), { url });
      expect(created.attrs.secure).toBe('true');
      const mechanisms = created.payloads[0]?.getChild('mechanisms')?.getChildElements().map((m) => m.getText());
      expect(mechanisms).toContain('PLAIN');
      // XEP-0124 Security Considerations: the connection is dropped, the session lives on
      const sid = created.attrs.sid;
      await expect(postRaw(tls, bodyXml({ rid: 501, sid }))).rejects.toThrow();
      const auth = `<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NONE'/>`;
      const next = await postRaw(tls, bodyXml({ rid: 501, sid }, auth), { url });
      expect(next.payloads[0]?.name).toBe('failure');
    } finally {
      await tls.stop();
    }
  });
});

describe('limits', () => {
  it('refuses more sessions per IP than bosh.sessionsPerIp', async () => {
    const limited = await startServer({ config: { bosh: { sessionsPerIp: 2 } } });
    try {
      const sessions = [await BoshSession.open(limited), await BoshSession.open(limited)];
      expect(sessions.every((s) => s.sid !== '')).toBe(true);
      const third = await BoshSession.open(limited);
      expect(third.creation.attrs).toMatchObject({ type: 'terminate', condition: 'policy-violation' });
      // a session that ends frees its slot
      await sessions[0]!.send('', { type: 'terminate' });
      expect((await BoshSession.open(limited)).sid).not.toBe('');
    } finally {
      await limited.stop();
    }
  });
});
