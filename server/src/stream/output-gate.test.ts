import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { StreamError } from '@parley/shared';
import { GroupCommit } from '../storage/group-commit.ts';
import { OutputGate, type DeferredEnd } from './output-gate.ts';
import type { Connection } from './connection.ts';

function gatedStream(commits: GroupCommit) {
  const written: string[] = [];
  const ends: DeferredEnd[] = [];
  const stream = {
    connection: { write: (data: string) => written.push(data) } as unknown as Connection,
    outputReleased: (end: DeferredEnd) => ends.push(end),
  };
  return { gate: new OutputGate(commits, stream), written, ends };
}

describe('OutputGate', () => {
  it('holds output until the commit, then writes it in order', async () => {
    const commits = new GroupCommit();
    const { gate, written, ends } = gatedStream(commits);
    expect(gate.holding).toBe(false);
    gate.hold(commits.upcoming);
    gate.push('<iq type="result" id="ping"/>');
    gate.hold(commits.upcoming); // again for the same commit: held once
    gate.push('<message/>');
    expect(written).toEqual([]);
    await nextTurn();
    expect(written).toEqual(['<iq type="result" id="ping"/>', '<message/>']);
    expect(ends).toEqual([null]);
    expect(gate.holding).toBe(false);
  });

  it('output that waits for a later commit is not released by an earlier one', async () => {
    const commits = new GroupCommit();
    const finish: Array<() => void> = [];
    commits.register({ commit: () => new Promise<void>((resolve) => finish.push(resolve)), size: 0 }); // a slow (asynchronous) store
    const { gate, written } = gatedStream(commits);
    gate.hold(commits.upcoming); // waits for commit 1
    gate.push('a');
    await nextTurn(); // commit 1 runs
    gate.hold(commits.upcoming); // the client sent more meanwhile: commit 2
    gate.push('b');
    finish.shift()!();
    await nextTurn();
    expect(commits.done).toBe(1);
    expect(written).toEqual([]);
    await nextTurn(); // commit 2 runs
    finish.shift()!();
    await nextTurn();
    expect(written).toEqual(['a', 'b']);
  });

  it('an end asked for while holding comes after the held output; a dropped stream writes nothing', async () => {
    const commits = new GroupCommit();
    const closing = gatedStream(commits);
    closing.gate.hold(commits.upcoming);
    closing.gate.push('<iq type="result"/>');
    const error = new StreamError('policy-violation');
    closing.gate.endAfterRelease(error);
    closing.gate.endAfterRelease('close'); // the first end stays
    const gone = gatedStream(commits);
    gone.gate.hold(commits.upcoming);
    gone.gate.push('<message/>');
    gone.gate.drop();
    await nextTurn();
    expect(closing.written).toEqual(['<iq type="result"/>']);
    expect(closing.ends).toEqual([error]);
    expect(gone.written).toEqual([]);
    expect(gone.ends).toEqual([]);
  });
});
