import { describe, expect, it } from 'vitest';
import { ArchiveIds, NODE_SLOTS, SEQ_PER_MS, SEQ_STEP, firstSeqAt, lastSeqAt, seqOfId, timeOfSeq } from './ids.ts';

describe('archive ids', () => {
  it('only grow, even within one millisecond or when the clock steps back', () => {
    let now = 1_000_000;
    const ids = new ArchiveIds(0, () => now);
    const a = ids.nextSeq();
    const b = ids.nextSeq();
    now -= 5000;
    const c = ids.nextSeq();
    expect(a).toBe(1_000_000 * SEQ_PER_MS);
    expect(b).toBe(a + SEQ_STEP);
    expect(c).toBe(b + SEQ_STEP);
    expect(new ArchiveIds(c + 10, () => now).nextSeq()).toBe(c + SEQ_STEP);
  });

  it('keep the archiving time: more than a millisecond can hold borrow the next one, and the clock catches up', () => {
    let now = 2_000_000;
    const ids = new ArchiveIds(0, () => now);
    const burst = Array.from({ length: SEQ_PER_MS / NODE_SLOTS + 1 }, () => ids.nextSeq());
    expect(burst.slice(0, -1).every((seq) => timeOfSeq(seq) === now)).toBe(true);
    expect(timeOfSeq(burst.at(-1)!)).toBe(now + 1);
    now += 5;
    expect(ids.nextSeq()).toBe(firstSeqAt(now));
  });

  it('never collide between nodes, whatever the clocks and the load', () => {
    const now = () => 3_000_000;
    const stored = 3_000_000 * SEQ_PER_MS + 7; // a seq archived before nodes had numbers
    const nodes = Array.from({ length: NODE_SLOTS }, (_, node) => new ArchiveIds(stored, now, node));
    const seen = new Set<number>();
    for (let round = 0; round < 200; round++) {
      for (const ids of nodes) {
        const seq = ids.nextSeq();
        expect(seq).toBeGreaterThan(stored);
        expect(seen.has(seq)).toBe(false);
        seen.add(seq);
      }
    }
    expect(seen.size).toBe(200 * NODE_SLOTS);
    expect(() => new ArchiveIds(0, now, NODE_SLOTS)).toThrow(RangeError);
  });

  it('encode the seq with a random part, and are read back', () => {
    const ids = new ArchiveIds();
    const seq = ids.nextSeq();
    const one = ids.idFor(seq);
    const two = ids.idFor(seq);
    expect(one).toMatch(/^[0-9a-z]{11}-[0-9a-z]{6}$/);
    expect(one).not.toBe(two);
    expect(seqOfId(one)).toBe(seq);
    expect(seqOfId('nonsense')).toBeNull();
    expect(seqOfId('zzzzzzzzzzz-abcdef')).toBeNull();
  });

  it('turn dates into seq ranges', () => {
    expect(timeOfSeq(firstSeqAt(1234))).toBe(1234);
    expect(timeOfSeq(lastSeqAt(1234))).toBe(1234);
    expect(lastSeqAt(1234) + 1).toBe(firstSeqAt(1235));
    const node = new ArchiveIds(0, () => 1234, NODE_SLOTS - 1).nextSeq();
    expect(node).toBeGreaterThanOrEqual(firstSeqAt(1234));
    expect(node).toBeLessThanOrEqual(lastSeqAt(1234));
  });
});
