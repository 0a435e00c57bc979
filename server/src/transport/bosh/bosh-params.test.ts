// Session parameters (XEP-0124 §7) and <body/> reading (§6, XEP-0206 §2), without a server.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config.ts';
import { BodyError, BodyReader, NS_HTTPBIND, sidHint, terminateBody, xboshAttribute } from './bosh-body.ts';
import { negotiate, parseRid, type SessionParameters } from './bosh-params.ts';

const config = configSchema.parse({}).bosh;

describe('negotiate', () => {
  it('bounds wait and hold by the configuration and gives requests = hold + 1', () => {
    const params = negotiate({ rid: '10', to: 'example.com', wait: '600', hold: '4', ver: '1.6' }, { ...config, maxHold: 2 }) as SessionParameters;
    expect(params).toMatchObject({ rid: 10, wait: 60, hold: 2, requests: 3, inactivity: 60, ver: '1.6', legacy: false });
  });

  it('keeps what the client asked when it is less, and at least two requests', () => {
    expect(negotiate({ rid: '1', to: 'x', wait: '5', hold: '1' }, config)).toMatchObject({ wait: 5, hold: 1, requests: 2 });
  });

  it('makes wait=0 or hold=0 a polling session with a longer inactivity', () => {
    expect(negotiate({ rid: '1', to: 'x', wait: '0' }, config)).toMatchObject({ hold: 0, requests: 2, inactivity: 62 });
    expect(negotiate({ rid: '1', to: 'x', hold: '0' }, config)).toMatchObject({ hold: 0 });
  });

  it('answers with our version when the client speaks a later one, and marks clients without ver as legacy', () => {
    expect(negotiate({ rid: '1', to: 'x', ver: '2.3' }, config)).toMatchObject({ ver: '1.11' });
    expect(negotiate({ rid: '1', to: 'x', ver: '1.10' }, config)).toMatchObject({ ver: '1.10' });
    expect(negotiate({ rid: '1', to: 'x' }, config)).toMatchObject({ legacy: true });
  });

  it('refuses malformed numbers and a missing to', () => {
    expect(negotiate({ rid: 'abc', to: 'x' }, config)).toBe('bad-request');
    expect(negotiate({ rid: '1', to: 'x', wait: '-1' }, config)).toBe('bad-request');
    expect(negotiate({ rid: '1' }, config)).toBe('improper-addressing');
  });

  it('takes a content type only when it looks like one', () => {
    expect(negotiate({ rid: '1', to: 'x', content: 'text/html; charset=utf-8' }, config)).toMatchObject({ contentType: 'text/html; charset=utf-8' });
    expect(negotiate({ rid: '1', to: 'x', content: 'text/xml\r\nX-Evil: 1' }, config)).toMatchObject({ contentType: 'text/xml; charset=utf-8' });
  });
});

describe('parseRid', () => {
  it('accepts positive integers below 2^53 only (§14.1)', () => {
    expect(parseRid('1')).toBe(1);
    expect(parseRid('9007199254740991')).toBe(9007199254740991);
    for (const bad of ['0', '-1', '1.5', '9007199254740992', '', undefined]) expect(parseRid(bad)).toBeNaN();
  });
});

describe('BodyReader', () => {
  const reader = new BodyReader(10_000);

  it('reads attributes and payloads, qualifying unqualified stanzas as jabber:client', () => {
    const request = reader.read(`<?xml version='1.0'?><body rid='5' sid='s' xmlns='${NS_HTTPBIND}' xmlns:stream='http://etherx.jabber.org/streams'>` +
      `\n  <message to='a@b'><body>hi</body></message><stream:x/></body>`);
    expect(request.attrs).toMatchObject({ rid: '5', sid: 's' });
    expect(request.payloads.map((p) => [p.name, p.attrs.xmlns])).toEqual([['message', 'jabber:client'], ['stream:x', 'jabber:client']]);
    expect(request.payloads[1]!.attrs['xmlns:stream']).toBe('http://etherx.jabber.org/streams');
    expect(request.payloads[0]!.parent).toBeNull();
  });

  it('refuses what is not one well-formed httpbind <body/>', () => {
    for (const text of [`<body xmlns='${NS_HTTPBIND}'>`, `<body xmlns='other'/>`, `<body xmlns='${NS_HTTPBIND}'/><body xmlns='${NS_HTTPBIND}'/>`,
      `<body xmlns='${NS_HTTPBIND}'>text</body>`, `<!-- c --><body xmlns='${NS_HTTPBIND}'/>`, '']) {
      expect(() => reader.read(text), text).toThrow(BodyError);
    }
    // and stays usable afterwards
    expect(reader.read(`<body xmlns='${NS_HTTPBIND}' rid='1'/>`).attrs.rid).toBe('1');
  });

  it('says policy-violation for a body over the size limit', () => {
    expect(() => reader.read(`<body xmlns='${NS_HTTPBIND}'><a>${'x'.repeat(20_000)}</a></body>`)).toThrow(expect.objectContaining({ condition: 'policy-violation' }));
  });
});

describe('helpers', () => {
  it('finds XEP-0206 attributes under any prefix', () => {
    expect(xboshAttribute({ 'xmlns:xmpp': 'urn:xmpp:xbosh', 'xmpp:restart': 'true' }, 'restart')).toBe('true');
    expect(xboshAttribute({ 'xmlns:x': 'urn:xmpp:xbosh', 'x:version': '1.0' }, 'version')).toBe('1.0');
    expect(xboshAttribute({ 'xmpp:restart': 'true' }, 'restart')).toBeUndefined();
  });

  it('reads the sid of a body it cannot parse, from its start tag only', () => {
    expect(sidHint(`<body rid='1' sid="abc_D-9" xmlns='x'><broken`)).toBe('abc_D-9');
    expect(sidHint(`<body rid='1'><x sid='no'/></body>`)).toBeUndefined();
  });

  it('writes terminate bodies', () => {
    expect(terminateBody('item-not-found')).toBe(`<body xmlns='${NS_HTTPBIND}' xmlns:stream='http://etherx.jabber.org/streams' type='terminate' condition='item-not-found'/>`);
  });
});
