import { describe, expect, it } from 'vitest';
import { ArchiveIds, SEQ_PER_MS, firstSeqAt, lastSeqAt, seqOfId, timeOfSeq } from './ids.ts';

describe('archive ids', () => {
  it('only grow, even within one millisecond or when the clock steps back', () => {
    let now = 1_000_000;
    const ids = new ArchiveIds(0, () => now);
    const a = ids.nextSeq();
    const b = ids.nextSeq();
    now -= 5000;
    const c = ids.nextSeq();
    expect(a).toBe(1_000_000 * SEQ_PER_MS);
    expect(b).toBe(a + 1);
    expect(c).toBe(b + 1);
    expect(new ArchiveIds(c + 10, () => now).nextSeq()).toBe(c + 11);
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
  });
});
