import { describe, expect, it } from 'vitest';
import { parseRosterEntry, parseRosterQuery, rosterItemElement, rosterQuery } from './roster-items.ts';
import { serialize, xml } from './xml.ts';

describe('roster items', () => {
  it('are built as the server sends them and read back the same (RFC 6121 §2.1.2, §3.4)', () => {
    const entry = { jid: 'bob@example.com', name: 'Bob', subscription: 'from' as const, pending: true, approved: true, groups: ['Friends', 'Work'] };
    const item = rosterItemElement(entry);
    expect(serialize(item)).toBe('<item jid="bob@example.com" name="Bob" subscription="from" ask="subscribe" approved="true">'
      + '<group>Friends</group><group>Work</group></item>');
    expect(parseRosterEntry(item)).toEqual(entry);
    const plain = rosterItemElement({ jid: 'carol@example.com', subscription: 'none', pending: false, groups: [] });
    expect(serialize(plain)).toBe('<item jid="carol@example.com" subscription="none"/>');
    expect(parseRosterEntry(plain)).toEqual({ jid: 'carol@example.com', name: undefined, subscription: 'none', pending: false, groups: [] });
  });

  it('make a versioned query, as in a result or a push (§2.6)', () => {
    const query = rosterQuery([rosterItemElement({ jid: 'bob@example.com', subscription: 'remove', pending: false, groups: [] })], '7');
    expect(serialize(query)).toBe('<query xmlns="jabber:iq:roster" ver="7"><item jid="bob@example.com" subscription="remove"/></query>');
    expect(serialize(rosterQuery([]))).toBe('<query xmlns="jabber:iq:roster"/>');
    const parsed = parseRosterQuery(xml('iq', { type: 'set' }, query));
    expect(parsed).toEqual({ version: '7', items: [{ jid: 'bob@example.com', name: undefined, subscription: 'remove', pending: false, groups: [] }] });
  });
});
