import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { GroupCommit, WRITE_DELAY_MS, type HeldStream, type TurnWriter } from './group-commit.ts';

/** Records what happens, in order. */
function recorder() {
  const events: string[] = [];
  const writer = (name: string, commit?: () => void | Promise<void>): TurnWriter => ({
    commit: () => {
      events.push(`commit ${name}`);
      return commit?.();
    },
    size: 0,
  });
  const stream = (name: string): HeldStream => ({ releaseOutput: (done) => { events.push(`release ${name} ${done}`); } });
  return { events, writer, stream };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('GroupCommit', () => {
  it('with a stream waiting, commits at the end of the turn: every writer first, then the held streams', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.register(writer('offline'));
    commits.schedule();
    expect(commits.upcoming).toBe(1);
    commits.hold(stream('alice'));
    commits.hold(stream('bob'));
    commits.schedule();
    expect(events).toEqual([]); // nothing during the turn
    await nextTurn();
    expect(events).toEqual(['commit archive', 'commit offline', 'release alice 1', 'release bob 1']);
    expect(commits.done).toBe(1);
    expect(commits.upcoming).toBe(2);
    await sleep(WRITE_DELAY_MS + 20);
    expect(events).toHaveLength(4); // the delayed commit was replaced
  });

  it('with nobody waiting, writes wait up to WRITE_DELAY_MS, then one commit takes them all', async () => {
    const { events, writer } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.schedule();
    await nextTurn();
    commits.schedule();
    await nextTurn();
    expect(events).toEqual([]);
    await sleep(WRITE_DELAY_MS + 20);
    expect(events).toEqual(['commit archive']);
    expect(commits.done).toBe(1);
  });

  it('a stream that starts waiting brings the delayed commit forward to the end of the turn', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.schedule();
    await nextTurn();
    commits.hold(stream('alice'));
    await nextTurn();
    expect(events).toEqual(['commit archive', 'release alice 1']);
  });

  it('commitNow() (a writer with a full batch) commits at once and releases the held streams', () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.schedule();
    commits.hold(stream('alice'));
    commits.commitNow();
    expect(events).toEqual(['commit archive', 'release alice 1']);
    expect(commits.done).toBe(1);
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

  it('with an asynchronous writer, one commit runs at a time; a stream waiting meanwhile gets the next one', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    const done: Array<() => void> = [];
    commits.register(writer('remote', () => new Promise<void>((resolve) => done.push(resolve))));
    commits.hold(stream('alice'));
    await nextTurn();
    expect(events).toEqual(['commit remote']);
    expect(commits.upcoming).toBe(2); // writes made now go to commit 2
    commits.hold(stream('bob'));
    await nextTurn();
    expect(events).toEqual(['commit remote']);
    done.shift()!();
    await nextTurn();
    await nextTurn();
    expect(events).toEqual(['commit remote', 'release alice 1', 'commit remote']);
    expect(commits.done).toBe(1);
    done.shift()!();
    await nextTurn();
    expect(events).toEqual(['commit remote', 'release alice 1', 'commit remote', 'release bob 2']);
  });

  it('flush() commits and releases now', async () => {
    const { events, writer, stream } = recorder();
    const commits = new GroupCommit();
    commits.register(writer('archive'));
    commits.hold(stream('alice'));
    await commits.flush();
    expect(events).toEqual(['commit archive', 'release alice 1']);
    await nextTurn();
    expect(events).toHaveLength(2);
  });

  it('is congested while a commit runs and maxWaiting writes (here 3) wait behind it, not before', async () => {
    const commits = new GroupCommit(() => {}, undefined, 3);
    const done: Array<() => void> = [];
    const remote = { size: 0, commit: () => { remote.size = 0; return new Promise<void>((resolve) => done.push(resolve)); } };
    commits.register(remote);
    remote.size = 5;
    expect(commits.congested).toBe(false); // nothing runs: the next commit takes them all
    commits.commitNow();
    expect(commits.congested).toBe(false);
    remote.size = 2;
    expect(commits.congested).toBe(false);
    remote.size = 3;
    commits.schedule(); // as a writer does when it gets writes
    expect(commits.congested).toBe(true);
    done.shift()!();
    await nextTurn();
    await nextTurn();
    // the running commit ended: the next one (within WRITE_DELAY_MS) takes the three
    await sleep(WRITE_DELAY_MS + 20);
    expect(remote.size).toBe(0);
    expect(commits.congested).toBe(false);
    done.shift()?.();
  });
});
