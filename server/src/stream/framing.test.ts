import { describe, expect, it } from 'vitest';
import { NS } from '@parley/shared';
import { c2sFraming, tcpFraming, websocketFraming } from './framing.ts';

describe('framings', () => {
  it('declare the content namespace they are made for (jabber:client now, jabber:server later)', () => {
    expect(c2sFraming.tcp.contentNamespace).toBe(NS.client);
    const s2s = tcpFraming('jabber:server');
    expect(s2s.header({ id: 'x', from: 'example.com', lang: 'en' })).toContain("<stream:stream xmlns='jabber:server'");
    expect(websocketFraming('jabber:server').contentNamespace).toBe('jabber:server');
  });
});
