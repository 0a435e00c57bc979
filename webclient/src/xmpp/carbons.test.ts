// XEP-0280 carbons: only our own account may send them (§11); the copy is the forwarded message.
import { describe, expect, it } from 'vitest';
import { NS, xml } from '@parley/shared';
import { parseCarbon } from './carbons.ts';

const copy = (direction: 'sent' | 'received', from: string) => xml('message', { from, to: 'alice@example.com/panel', type: 'chat' },
  xml(direction, { xmlns: NS.carbons }, xml('forwarded', { xmlns: NS.forward },
    xml('message', { xmlns: NS.client, from: 'alice@example.com/phone', to: 'erin@example.com', type: 'chat' }, xml('body', null, 'hi')))));

describe('parseCarbon', () => {
  it('unwraps sent and received copies from our own bare JID', () => {
    const sent = parseCarbon(copy('sent', 'alice@example.com'), 'alice@example.com');
    expect(sent?.direction).toBe('sent');
    expect(sent?.message.getChildText('body')).toBe('hi');
    expect(parseCarbon(copy('received', 'alice@example.com'), 'alice@example.com')?.direction).toBe('received');
  });

  it('refuses a carbon from anyone else, even our own full JID', () => {
    expect(parseCarbon(copy('sent', 'mallory@example.com'), 'alice@example.com')).toBeNull();
    expect(parseCarbon(copy('sent', 'alice@example.com/phone'), 'alice@example.com')).toBeNull();
  });

  it('leaves ordinary messages alone', () => {
    expect(parseCarbon(xml('message', { from: 'erin@example.com' }, xml('body', null, 'hi')), 'alice@example.com')).toBeUndefined();
  });
});
