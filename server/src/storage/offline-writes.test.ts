// OfflineWrites (offline-writes.ts): the XEP-0160 queue limit counts stored and waiting messages once
// each, a user's messages keep their arrival order, and stored() includes admissions under way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from './group-commit.ts';
import { OfflineWrites, type WaitingOfflineMessage } from './offline-writes.ts';
import { openSqliteStorage, type SqliteStorage } from './sqlite/index.ts';
import type { OfflineStore } from './types.ts';

const BOB = 'bob@example.com';

let dir: string;
let storage: SqliteStorage | undefined;
afterEach(async () => {
  await storage?.close();
  storage = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * The offline store of a real SQLite file, with the timing a pool of PostgreSQL connections allows:
 * a batch's write waits for `release()` before it reaches the database, and a count read while a
 * write is on its way answers what it read only after that write is done (its read went on another
 * connection, before the write's commit).
 */
function storeWithPoolTiming(): { store: OfflineStore; release(): void } {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-offline-writes-'));
  storage = openSqliteStorage(dir);
  const offline = storage.offline;
  let release!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  let writing: Promise<void> | null = null;
  const store: OfflineStore = {
    push: (...args) => offline.push(...args),
    takeAll: (to) => offline.takeAll(to),
    list: (to) => offline.list(to),
    remove: (to, ids) => offline.remove(to, ids),
    async pushAll(messages) {
      writing = released.then(() => offline.pushAll(messages));
      await writing;
      writing = null;
    },
    async count(to) {
      const counted = await offline.count(to);
      const write = writing;
      if (write) {
        await write;
        await new Promise((resolve) => setTimeout(resolve, 10)); // the write's end taken into account meanwhile
      }
      return counted;
    },
  };
  return { store, release };
}

function message(body: string): () => WaitingOfflineMessage<string> {
  return () => ({ to: BOB, stanza: `<message xmlns="jabber:client" to="${BOB}"><body>${body}</body></message>`, stampedAt: Date.now(), source: body });
}

describe('OfflineWrites', () => {
  it('counts a batch being written once: a count beside the write does not let the queue pass its limit', async () => {
    const { store, release } = storeWithPoolTiming();
    const commits = new GroupCommit();
    const failed: string[] = [];
    const writes = new OfflineWrites<string>(store, commits, (messages) => failed.push(...messages.map((m) => m.source)));
    for (const body of ['1', '2', '3']) expect(await writes.addWithin(BOB, 3, message(body))).toBe('added');
    expect(writes.waiting(BOB)).toBe(3);

    const committed = commits.commit(); // the three are on their way to the database
    const fourth = writes.addWithin(BOB, 3, message('4'));
    release();
    await committed;
    expect(await fourth).toBe('full');
    await writes.stored();
    expect(failed).toEqual([]);
    expect((await store.list(BOB)).map((stored) => /<body>(.)<\/body>/.exec(stored.stanza)?.[1])).toEqual(['1', '2', '3']);
  });

  it('keeps the arrival order when the second message\'s check ends before the first\'s', async () => {
    const { store, release } = storeWithPoolTiming();
    release();
    const commits = new GroupCommit();
    const writes = new OfflineWrites<string>(store, commits, () => {});
    let firstChecked!: (exists: boolean) => void;
    const first = writes.addWithin(BOB, 10, message('1'), new Promise<boolean>((resolve) => { firstChecked = resolve; }));
    const second = writes.addWithin(BOB, 10, message('2'), Promise.resolve(true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    firstChecked(true);
    expect([await first, await second]).toEqual(['added', 'added']);
    await writes.stored();
    expect((await store.list(BOB)).map((stored) => /<body>(.)<\/body>/.exec(stored.stanza)?.[1])).toEqual(['1', '2']);
  });

  it('refuses a message whose check ends false, and stored() includes a message still being admitted', async () => {
    const { store, release } = storeWithPoolTiming();
    release();
    const commits = new GroupCommit();
    const writes = new OfflineWrites<string>(store, commits, () => {});
    expect(await writes.addWithin(BOB, 10, message('0'), Promise.resolve(false))).toBe('refused');
    let checked!: (exists: boolean) => void;
    const admitted = writes.addWithin(BOB, 10, message('1'), new Promise<boolean>((resolve) => { checked = resolve; }));
    const stored = writes.stored(); // asked while the admission waits for its check
    setTimeout(() => checked(true), 10);
    await stored;
    expect(await admitted).toBe('added');
    expect((await store.list(BOB)).map((m) => /<body>(.)<\/body>/.exec(m.stanza)?.[1])).toEqual(['1']);
  });
});
