// The structural stanza comparison behind the dialogue tests (helpers/xml-match.ts): what matches,
// what does not, and what is captured.
import { describe, expect, it } from 'vitest';
import { parse, type Element } from 'ltx';
import { exactly, expectation, matchStanza } from './helpers/xml-match.ts';

const received = (xml: string) => parse(xml) as Element;
const match = (expected: string | ReturnType<typeof exactly>, actual: string) => matchStanza(expectation(expected), received(actual));

describe('matching a received stanza', () => {
  const push = `<iq xmlns='jabber:client' type='set' id='push-1' to='alice@example.com/desk'>
    <query xmlns='jabber:iq:roster' ver='7'><item jid='bob@example.com' subscription='none' ask='subscribe'><group>Friends</group></item></query></iq>`;

  it('ignores attribute order, whitespace and what the expected stanza does not name', () => {
    expect(match(`<iq type='set'><query xmlns='jabber:iq:roster'><item subscription='none' jid='bob@example.com'/></query></iq>`, push)).toEqual({});
    expect(match(`<iq type='set'><query xmlns='jabber:iq:roster'><item jid='carol@example.com'/></query></iq>`, push)).toBeNull();
    expect(match(`<iq type='get'/>`, push)).toBeNull();
    expect(match(`<message/>`, push)).toBeNull();
  });

  it('compares namespaces as they apply', () => {
    expect(match(`<iq><query xmlns='jabber:iq:version'/></iq>`, push)).toBeNull();
    expect(match(`<iq xmlns='jabber:client'/>`, push)).toEqual({});
    expect(match(`<presence/>`, `<presence xmlns='jabber:server'/>`)).toBeNull();
    // a child inherits its parent's namespace on both sides
    expect(match(`<iq><query xmlns='jabber:iq:roster'><item xmlns='jabber:iq:roster' jid='bob@example.com'/></query></iq>`, push)).toEqual({});
  });

  it('has wildcards, captures and absent attributes', () => {
    expect(match(`<iq id='{*}' to='{user}/{resource}'><query xmlns='jabber:iq:roster' ver='{ver}'/></iq>`, push))
      .toEqual({ user: 'alice@example.com', resource: 'desk', ver: '7' });
    expect(match(`<iq from='{*}'/>`, push)).toBeNull();
    expect(match(`<iq from='{absent}'/>`, push)).toEqual({});
    expect(match(`<iq from='{?from}' to='{?to}'/>`, push)).toEqual({ to: 'alice@example.com/desk' });
    expect(match(`<iq><query xmlns='jabber:iq:roster'><item ask='{absent}'/></query></iq>`, push)).toBeNull();
    // one name, one value
    expect(match(`<iq id='{x}' to='{x}'/>`, push)).toBeNull();
    expect(match(`<message><body>Hello {who}!</body></message>`, `<message><body> Hello Bob! </body></message>`)).toEqual({ who: 'Bob' });
    expect(match(`<message><body>Hello {*}</body></message>`, `<message><body>Goodbye</body></message>`)).toBeNull();
  });

  it('finds expected children in order among others', () => {
    const presence = `<presence from='bob@example.com/x'><show>dnd</show><status>busy</status><priority>7</priority><x xmlns='vcard-temp:x:update'/></presence>`;
    expect(match(`<presence><show>dnd</show><priority>7</priority></presence>`, presence)).toEqual({});
    expect(match(`<presence><priority>7</priority><show>dnd</show></presence>`, presence)).toBeNull();
    expect(match(`<presence><status>free</status></presence>`, presence)).toBeNull();
    expect(match(`<presence><show>dnd</show><show>dnd</show></presence>`, presence)).toBeNull();
  });

  it('exactly(): nothing more in the stanza but its own routing attributes', () => {
    const item = `<iq type='set'><query xmlns='jabber:iq:roster' ver='{*}'><item jid='bob@example.com' subscription='none' ask='subscribe'><group>Friends</group></item></query></iq>`;
    expect(match(exactly(item), push)).toEqual({});
    expect(match(exactly(`<iq type='set'><query xmlns='jabber:iq:roster' ver='{*}'><item jid='bob@example.com' subscription='none'><group>Friends</group></item></query></iq>`), push)).toBeNull();
    expect(match(exactly(`<iq type='set'><query xmlns='jabber:iq:roster' ver='{*}'><item jid='bob@example.com' subscription='none' ask='subscribe'/></query></iq>`), push)).toBeNull();
    expect(match(exactly(`<iq type='set'><query xmlns='jabber:iq:roster'><item jid='bob@example.com' subscription='none' ask='subscribe'><group>Friends</group></item></query></iq>`), push)).toBeNull();
    // an empty result is not one with a payload
    expect(match(exactly(`<iq type='result' id='r1'/>`), `<iq type='result' id='r1' to='alice@example.com/desk'/>`)).toEqual({});
    expect(match(exactly(`<iq type='result' id='r1'/>`), `<iq type='result' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)).toBeNull();
    expect(match(`<iq type='result' id='r1'/>`, `<iq type='result' id='r1'><query xmlns='jabber:iq:roster'/></iq>`)).toEqual({});
  });
});
