import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GroupCommit, type HeldStream, type TurnWriter } from './group-commit.ts';

/** Records what happens, in order. */
function recorder() {
  const events: string[] = [];
  const writer = (name: string, commit?: () => void | Promise<void>): TurnWriter => ({
    commit: () => {
      events.push(`commit ${name}`);
      return commit?.();
    },
  });
  const stream = (name: string): HeldStream & { released: number[] } => {
    const released: number[] = [];
    return { released, releaseOutput: (commit) => { released.push(commit); events.push(`release ${name} ${commit}`); } };
  };
  return { events, writer, stream };
}

describe('GroupCommit', () => {
  it('commits once at the end of the turn, every writer first, then releases the streams held for it', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.register(writer('offline'));
    const alice = stream('alice');
    const bob = stream('bob');
    commits.schedule();
    commits.hold(alice);
    commits.hold(bob);
    commits.schedule();
    expect(events).toEqual([]); // nothing during the turn
    await nextTurn();
    expect(events).toEqual(['commit archive', 'commit offline', 'release alice 1', 'release bob 1']);
    await nextTurn();
    expect(events).toHaveLength(4); // nothing more was asked
    expect(commits.upcoming).toBe(2);
  });

  it('releases held streams even when a writer fails, and reports the failure', async () => {
    const { events, writer, stream } = recorder();
    const failures: unknown[] = [];
    const commits = new GroupCommit((error) => failures.push(error));
    commits.register(writer('broken', () => { throw new Error('disk full'); }));
    commits.register(writer('archive'));
    commits.hold(stream('alice'));
    await nextTurn();
    expect(events).toEqual(['commit broken', 'commit archive', 'release alice 1']);
    expect(failures).toEqual([new Error('disk full')]);
  });

  it('with an asynchronous writer, a stream is released when its commit is done; writes meanwhile wait for the next', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    const done: Array<() => void> = [];
    commits.register(writer('remote', () => new Promise<void>((resolve) => done.push(resolve))));
    const alice = stream('alice');
    commits.hold(alice);
    await nextTurn();
    expect(events).toEqual(['commit remote']);
    // while commit 1 runs, Alice sends more: she now waits for commit 2
    const second = commits.upcoming;
    expect(second).toBe(2);
    commits.hold(alice);
    await nextTurn();
    expect(events).toEqual(['commit remote']); // one commit at a time
    done.shift()!();
    await nextTurn();
    await nextTurn();
    expect(events).toEqual(['commit remote', 'release alice 1', 'commit remote']);
    done.shift()!();
    await nextTurn();
    expect(alice.released).toEqual([1, 2]);
  });

  it('flush() commits and releases now', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.hold(stream('alice'));
    await commits.flush();
    expect(events).toEqual(['commit archive', 'release alice 1']);
    await nextTurn();
    expect(events).toHaveLength(2); // the turn's commit was replaced by the flush
  });
});
