// XEP-0198 §4 counting: acks move the queue, wrap at 2^32, stale and too-high acks.
import { describe, expect, it } from 'vitest';
import type { SessionHandle } from '../../core/origin.ts';
import { StanzaCounter, parseH, type AckPolicy } from './counter.ts';

function counterAt(start: number, requestEvery = 1000): { counter: StanzaCounter; written: string[]; delivered: string[] } {
  const written: string[] = [];
  const session = { attached: true, write: (xml: string) => void written.push(xml) } as unknown as SessionHandle;
  const policy: AckPolicy = { requestEvery, requestDelayMs: 60_000, maxUnacknowledged: 1000, overflow: () => {}, keptWhileDetached: () => {} };
  return { counter: new StanzaCounter(session, policy, null, 300, start), written, delivered: [] };
}

describe('StanzaCounter', () => {
  it('acknowledges across the 2^32 wrap and tells the receipts of what was acknowledged', () => {
    const { counter, delivered } = counterAt(2 ** 32 - 2);
    for (const name of ['a', 'b', 'c', 'd']) counter.sent(`<message id='${name}'/>`, { delivered: () => void delivered.push(name) });
    expect(counter.sentTotal).toBe(2);
    expect(counter.acknowledge(2 ** 32 - 1)).toEqual({ kind: 'acknowledged', count: 1 });
    expect(counter.acknowledge(1)).toEqual({ kind: 'acknowledged', count: 2 });
    expect(delivered).toEqual(['a', 'b', 'c']);
    expect(counter.unacknowledgedStanzas().map((kept) => kept.xml)).toEqual(["<message id='d'/>"]);
    // behind (also across the wrap) is stale; ahead of what was sent is too high
    expect(counter.acknowledge(2 ** 32 - 1)).toEqual({ kind: 'stale' });
    expect(counter.acknowledge(1)).toEqual({ kind: 'stale' });
    expect(counter.acknowledge(3)).toEqual({ kind: 'too-high', sent: 2 });
    expect(counter.acknowledge(2)).toEqual({ kind: 'acknowledged', count: 1 });
    expect(counter.unacknowledged).toBe(0);
  });

  it('asks again after an ack that leaves enough unacknowledged (a burst sent while the request was in flight)', () => {
    const { counter, written } = counterAt(0, 3);
    for (let i = 0; i < 10; i++) counter.sent(`<message id='m${i}'/>`, null);
    expect(written).toHaveLength(1); // one request in flight, none more during the burst
    counter.acknowledge(3);
    expect(written).toHaveLength(2); // 7 left: asked again at once
    counter.acknowledge(8);
    expect(written).toHaveLength(2); // 2 left, under requestEvery: the delay timer asks later
    counter.stop();
  });

  it('counts handled stanzas mod 2^32', () => {
    const { counter } = counterAt(2 ** 32 - 1);
    counter.received();
    expect(counter.handled).toBe(0);
  });

  it('reads h as an unsigned 32-bit decimal', () => {
    expect(parseH('0')).toBe(0);
    expect(parseH('4294967295')).toBe(4294967295);
    for (const bad of [undefined, '', '-1', '1.5', '4294967296', '0x10', ' 1']) expect(parseH(bad)).toBeNull();
  });
});
