// The typed builders/parsers the web client uses: roster items, presence, vCard/avatars, chat states, receipts, ids, delay.
import { describe, expect, it } from 'vitest';
import { xml, serialize } from './xml.ts';
import { parseRosterQuery, rosterSet } from './roster-items.ts';
import { availablePresence, parsePresenceInfo } from './presence-info.ts';
import { avatarUpdateElement, parseAvatarHash, parseVcard, vcardElement } from './vcard.ts';
import { chatStateElement, parseChatState } from './chat-states.ts';
import { parseReceipt, receiptAck, receiptRequest } from './receipts.ts';
import { originIdElement, parseOriginId, parseStanzaId } from './message-ids.ts';
import { parseDelay } from './delay.ts';
import { delayElement } from './stanza.ts';

describe('roster items (RFC 6121 §2)', () => {
  it('reads items, groups, ask and the version', () => {
    const iq = xml('iq', { type: 'result' }, xml('query', { xmlns: 'jabber:iq:roster', ver: 'v7' },
      xml('item', { jid: 'bob@example.com', name: 'Bob', subscription: 'both' }, xml('group', null, 'Team')),
      xml('item', { jid: 'eve@example.com', subscription: 'none', ask: 'subscribe' }),
      xml('item', { subscription: 'both' })));
    expect(parseRosterQuery(iq)).toEqual({ version: 'v7', items: [
      { jid: 'bob@example.com', name: 'Bob', subscription: 'both', pending: false, groups: ['Team'] },
      { jid: 'eve@example.com', name: undefined, subscription: 'none', pending: true, groups: [] },
    ] });
    expect(parseRosterQuery(xml('iq', { type: 'result' }))).toBeUndefined();
  });

  it('writes add and remove sets', () => {
    expect(serialize(rosterSet({ jid: 'bob@example.com', name: 'Bob', groups: ['A'] }, 'r1'))).toBe(
      '<iq type="set" id="r1"><query xmlns="jabber:iq:roster"><item jid="bob@example.com" name="Bob"><group>A</group></item></query></iq>');
    expect(serialize(rosterSet({ jid: 'bob@example.com', remove: true }))).toBe(
      '<iq type="set"><query xmlns="jabber:iq:roster"><item jid="bob@example.com" subscription="remove"/></query></iq>');
  });
});

describe('presence (RFC 6121 §4.7, XEP-0153)', () => {
  it('reads show, status, priority and the avatar hash', () => {
    const presence = xml('presence', null, xml('show', null, 'dnd'), xml('status', null, 'Busy'), xml('priority', null, '5'),
      xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', null, 'ABC123')));
    expect(parsePresenceInfo(presence)).toEqual({ availability: 'dnd', status: 'Busy', priority: 5, avatarHash: 'abc123' });
    expect(parsePresenceInfo(xml('presence', { type: 'unavailable' }))?.availability).toBe('offline');
    expect(parsePresenceInfo(xml('presence', { type: 'subscribe' }))).toBeUndefined();
  });

  it('tells "no photo" from "not said" (XEP-0153 §3.2)', () => {
    expect(parseAvatarHash(xml('presence', null, avatarUpdateElement('')))).toBe('');
    expect(parseAvatarHash(xml('presence', null, avatarUpdateElement(undefined)))).toBeUndefined();
    expect(serialize(availablePresence({ show: 'away', avatarHash: 'ff' }))).toBe(
      '<presence><show>away</show><x xmlns="vcard-temp:x:update"><photo>ff</photo></x></presence>');
  });
});

describe('vCard (XEP-0054)', () => {
  it('round-trips the displayed fields', () => {
    const info = { fullName: 'Bob Builder', nickname: 'bob', email: 'bob@example.com', photo: { type: 'image/png', base64: 'iVBORw0KGgo=' } };
    expect(parseVcard(vcardElement(info))).toEqual(info);
    expect(parseVcard(xml('vCard', { xmlns: 'vcard-temp' }))).toEqual({});
  });
});

describe('messages: chat states, receipts, ids, delay', () => {
  it('reads what a message carries', () => {
    const stamp = new Date('2024-05-01T10:00:00.000Z');
    const message = xml('message', { id: 'm1' }, xml('body', null, 'hi'), chatStateElement('active'), receiptRequest(),
      originIdElement('o1'), xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: 'alice@example.com', id: 's1' }),
      delayElement('example.com', stamp, 'Offline Storage'));
    expect(parseChatState(message)).toBe('active');
    expect(parseReceipt(message)).toEqual({ requested: true, received: undefined });
    expect(parseOriginId(message)).toBe('o1');
    expect(parseStanzaId(message, 'alice@example.com')).toBe('s1');
    expect(parseStanzaId(message, 'mallory@example.com')).toBeUndefined();
    expect(parseDelay(message)).toEqual({ stamp, from: 'example.com', reason: 'Offline Storage' });
  });

  it('acknowledges a message (XEP-0184 §5.2)', () => {
    const ack = receiptAck('bob@example.com/web', 'm1', 'a1');
    expect(parseReceipt(ack)).toEqual({ requested: false, received: 'm1' });
    expect(parseChatState(xml('message'))).toBeUndefined();
  });
});
