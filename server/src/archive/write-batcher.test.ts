import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../storage/group-commit.ts';
import { WriteBatcher } from './write-batcher.ts';

describe('WriteBatcher with staging', () => {
  it('hands items over ahead of the commit in chunks, counts them as waiting until written, and writes once they are only staged', async () => {
    const commits = new GroupCommit();
    const staged: number[][] = [];
    const written: number[][] = [];
    const batcher = new WriteBatcher<number>(commits, (batch) => { written.push(batch); }, { items: 3, stage: (items) => staged.push(items) });
    batcher.append([1, 2]);
    expect(staged).toEqual([]);
    batcher.append([3, 4]);
    expect(staged).toEqual([[1, 2, 3, 4]]);
    // staged items wait for the commit too: the group commit's back-pressure counts them
    expect(batcher.size).toBe(4);
    batcher.append([5]);
    await commits.commit();
    expect(written).toEqual([[5]]);
    expect(batcher.size).toBe(0);
    batcher.append([6, 7, 8]);
    expect(staged).toEqual([[1, 2, 3, 4], [6, 7, 8]]);
    // nothing left here, but staged items are not committed until a write comes
    await commits.commit();
    expect(written).toEqual([[5], []]);
    await commits.commit();
    expect(written).toEqual([[5], []]);
  });
});
