import { describe, expect, it } from 'vitest';
import { ArchiveIds, LAYOUT_CHANGE, NODE_SLOTS, SEQ_PER_MS, SEQ_STEP, firstSeqAt, lastSeqAt, seqOfId, timeOfSeq } from './ids.ts';

/** A time after the change of layout. */
const LATER = LAYOUT_CHANGE + 86_400_000;

describe('archive ids', () => {
  it('only grow, even within one millisecond or when the clock steps back', () => {
    let now = LATER;
    const ids = new ArchiveIds(0, () => now);
    const a = ids.nextSeq();
    const b = ids.nextSeq();
    now -= 5000;
    const c = ids.nextSeq();
    expect(a).toBe(firstSeqAt(LATER));
    expect(b).toBe(a + SEQ_STEP);
    expect(c).toBe(b + SEQ_STEP);
    expect(new ArchiveIds(c + 10, () => now).nextSeq()).toBe(c + SEQ_STEP);
  });

  it('keep the archiving time: more than a millisecond can hold borrow the next one, and the clock catches up', () => {
    let now = LATER;
    const ids = new ArchiveIds(0, () => now);
    const burst = Array.from({ length: SEQ_PER_MS / NODE_SLOTS + 1 }, () => ids.nextSeq());
    expect(burst.slice(0, -1).every((seq) => timeOfSeq(seq) === now)).toBe(true);
    expect(timeOfSeq(burst.at(-1)!)).toBe(now + 1);
    now += 5;
    expect(ids.nextSeq()).toBe(firstSeqAt(now));
  });

  it('hold more than 120,000 messages a second on one node, each at its own millisecond, on every node at once', () => {
    const perSecond = 130_000;
    const nodes = [0, NODE_SLOTS - 1].map((node) => {
      let drawn = 0;
      // the clock goes through one second as the ids are drawn
      return new ArchiveIds(0, () => LATER + Math.floor((drawn++ * 1000) / perSecond), node);
    });
    const seen = new Set<number>();
    const wrong: string[] = [];
    for (const ids of nodes) {
      let previous = 0;
      for (let i = 0; i < perSecond; i++) {
        const at = LATER + Math.floor((i * 1000) / perSecond);
        const seq = ids.nextSeq();
        // no borrowing: every seq says the millisecond it was drawn in
        if (seq <= previous || timeOfSeq(seq) !== at) wrong.push(`seq ${i}: ${seq} says ${timeOfSeq(seq)}, drawn at ${at}`);
        seen.add(seq);
        previous = seq;
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(seen.size).toBe(2 * perSecond);
    // CPU-bound: a few hundred ms alone, seconds on a busy machine
  }, 20_000);

  it('keep up with the real clock at more than 120,000 a second', () => {
    const ids = new ArchiveIds();
    const started = Date.now();
    let last = 0;
    for (let i = 0; i < 130_000; i++) last = ids.nextSeq();
    const elapsed = Date.now() - started;
    // drawn faster than 130,000 a second here (or this says nothing): the seqs are at most the
    // borrowing of that burst ahead of the clock
    if (elapsed < 1000) expect(timeOfSeq(last) - Date.now()).toBeLessThanOrEqual(Math.ceil(130_000 / (SEQ_PER_MS / NODE_SLOTS)));
    expect(timeOfSeq(last)).toBeGreaterThanOrEqual(started);
  });

  it('never collide between nodes, whatever the clocks and the load', () => {
    const now = () => LATER;
    const stored = firstSeqAt(LATER) + 7; // a seq archived before nodes had numbers
    const nodes = Array.from({ length: NODE_SLOTS }, (_, node) => new ArchiveIds(stored, now, node));
    const seen = new Set<number>();
    const wrong: string[] = [];
    // more rounds than a millisecond has slots per node: they borrow the next ones
    for (let round = 0; round < 300; round++) {
      for (let node = 0; node < NODE_SLOTS; node++) {
        const seq = nodes[node]!.nextSeq();
        if (seq <= stored || seen.has(seq) || seq % NODE_SLOTS !== node) wrong.push(`node ${node}, round ${round}: ${seq}`);
        seen.add(seq);
      }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
    expect(seen.size).toBe(300 * NODE_SLOTS);
    expect(() => new ArchiveIds(0, now, NODE_SLOTS)).toThrow(RangeError);
  });

  it('keep the seqs stored before the change of layout: their time, their order, and what comes after', () => {
    const before = Date.UTC(2025, 5, 1, 12);
    // what the layout before wrote: ms × 1024 + counter × 16 + node
    const old = before * 1024 + 3 * 16 + 5;
    expect(timeOfSeq(old)).toBe(before);
    expect(firstSeqAt(before)).toBe(before * 1024);
    expect(lastSeqAt(LAYOUT_CHANGE - 1) + 1).toBe(firstSeqAt(LAYOUT_CHANGE));
    expect(timeOfSeq(lastSeqAt(LAYOUT_CHANGE - 1))).toBe(LAYOUT_CHANGE - 1);
    expect(timeOfSeq(firstSeqAt(LAYOUT_CHANGE))).toBe(LAYOUT_CHANGE);
    // a server restarted after the change goes on above the old seqs, in the new layout, same node
    const ids = new ArchiveIds(old, () => LATER, 5);
    const next = ids.nextSeq();
    expect(next).toBeGreaterThan(old);
    expect(timeOfSeq(next)).toBe(LATER);
    expect(next % NODE_SLOTS).toBe(5);
    // and one still in the old era keeps its slots
    const early = new ArchiveIds(old, () => before, 5);
    expect(early.nextSeq()).toBe(old + SEQ_STEP);
    // the largest seq of the new layout is still an exact JavaScript number (May 2082)
    expect(Number.isSafeInteger(lastSeqAt(Date.UTC(2082, 4, 1)))).toBe(true);
  });

  it('encode the seq with a random part, and are read back', () => {
    const ids = new ArchiveIds();
    const seq = ids.nextSeq();
    const one = ids.idFor(seq);
    const two = ids.idFor(seq);
    expect(one).toMatch(/^[0-9a-z]{11}-[0-9a-z]{6}$/);
    expect(one).not.toBe(two);
    expect(seqOfId(one)).toBe(seq);
    expect(seqOfId(ids.idFor(1_700_000_000_000 * 1024 + 37))).toBe(1_700_000_000_000 * 1024 + 37);
    expect(seqOfId('nonsense')).toBeNull();
    expect(seqOfId('zzzzzzzzzzz-abcdef')).toBeNull();
  });

  it('turn dates into seq ranges', () => {
    for (const ms of [1234, LATER]) {
      expect(timeOfSeq(firstSeqAt(ms))).toBe(ms);
      expect(timeOfSeq(lastSeqAt(ms))).toBe(ms);
      expect(lastSeqAt(ms) + 1).toBe(firstSeqAt(ms + 1));
      const node = new ArchiveIds(0, () => ms, NODE_SLOTS - 1).nextSeq();
      expect(node).toBeGreaterThanOrEqual(firstSeqAt(ms));
      expect(node).toBeLessThanOrEqual(lastSeqAt(ms));
    }
  });
});
