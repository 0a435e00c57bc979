// XEP-0198 bookkeeping: handled count, unacknowledged queue, wrap-around at 2^32, resumption.
import { describe, expect, it } from 'vitest';
import { xml } from '@parley/shared';
import { StreamManagement } from './stream-management.ts';

const message = (id: string) => xml('message', { id, to: 'bob@example.com', type: 'chat' }, xml('body', null, id));

describe('StreamManagement', () => {
  it('counts nothing before <enabled/>, and starts both counters at zero then (§4)', () => {
    const sm = new StreamManagement();
    sm.received();
    sm.sent(message('early'));
    expect(sm.pending).toBe(0);
    expect(sm.resumption).toBeNull();
    sm.enable('abc');
    expect(sm.resumption).toEqual({ id: 'abc', handled: 0 });
    sm.received();
    sm.received();
    expect(sm.resumption).toEqual({ id: 'abc', handled: 2 });
  });

  it('releases what an <a h/> covers and keeps the rest in order', () => {
    const sm = new StreamManagement();
    sm.enable('abc');
    for (const id of ['1', '2', '3']) sm.sent(message(id));
    expect(sm.acknowledge(2)).toBe(true);
    expect(sm.pending).toBe(1);
    // an ack that does not move forward is ignored; one beyond what was sent is refused
    expect(sm.acknowledge(1)).toBe(true);
    expect(sm.pending).toBe(1);
    expect(sm.acknowledge(5)).toBe(false);
    expect(sm.pending).toBe(1);
    expect(sm.resumed(2).map((stanza) => stanza.attrs.id)).toEqual(['3']);
    expect(sm.pending).toBe(0);
  });

  it('resends after <resumed h/> only what the server did not get', () => {
    const sm = new StreamManagement();
    sm.enable('abc');
    for (const id of ['1', '2', '3', '4']) sm.sent(message(id));
    sm.acknowledge(1);
    expect(sm.resumed(3).map((stanza) => stanza.attrs.id)).toEqual(['4']);
    // the id and our handled count stay for the next drop
    expect(sm.resumption?.id).toBe('abc');
  });

  it('wraps its counters at 2^32 (§4)', () => {
    const sm = new StreamManagement();
    sm.enable('abc');
    sm.handled = 2 ** 32 - 1;
    sm.received();
    expect(sm.handled).toBe(0);
    // acknowledged count near the top: an h of 1 after the wrap covers two stanzas
    (sm as unknown as { acknowledged: number }).acknowledged = 2 ** 32 - 1;
    sm.sent(message('a'));
    sm.sent(message('b'));
    sm.sent(message('c'));
    expect(sm.acknowledge(1)).toBe(true);
    expect(sm.pending).toBe(1);
  });

  it('gives back what was never acknowledged when the session is gone', () => {
    const sm = new StreamManagement();
    sm.enable(null);
    expect(sm.resumption).toBeNull(); // enabled without resumption
    sm.sent(message('1'));
    expect(sm.reset().map((stanza) => stanza.attrs.id)).toEqual(['1']);
    expect(sm.enabled).toBe(false);
    expect(sm.pending).toBe(0);
  });
});
