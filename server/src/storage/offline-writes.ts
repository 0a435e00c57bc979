// Offline messages (XEP-0160) gathered for the group commit (group-commit.ts): stored in one
// transaction per commit, before the sender's stream sees anything written after them.
import type { GroupCommit, TurnWriter } from './group-commit.ts';
import type { NewOfflineMessage, OfflineStore } from './types.ts';

/** A message waiting for the commit, with what its writer needs if storing it fails (`source`). */
export interface WaitingOfflineMessage<Source> extends NewOfflineMessage {
  source: Source;
}

export type OfflineWriteFailure<Source> = (messages: Array<WaitingOfflineMessage<Source>>, error: unknown) => void;

export class OfflineWrites<Source> implements TurnWriter {
  private pending: Array<WaitingOfflineMessage<Source>> = [];
  /** Messages per recipient added but not stored yet (waiting or being written): they count against the limit. */
  private readonly unstored = new Map<string, number>();
  /** The last write: writes run one after another, so that a user's messages keep their arrival order. */
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: OfflineStore, private readonly commits: GroupCommit,
    private readonly onFailure: OfflineWriteFailure<Source>) {
    commits.register(this);
  }

  /** Messages waiting for the next commit (TurnWriter). */
  get size(): number {
    return this.pending.length;
  }

  /** Messages for `to` not stored yet (the store's count does not include them). */
  waiting(to: string): number {
    return this.unstored.get(to) ?? 0;
  }

  /**
   * Adds the message `make` gives unless `to`'s queue, stored and waiting, holds `limit` already
   * ('full') or `admissible` (a check the caller started when the message arrived, such as whether
   * the account exists) ends false ('refused'). Admissions and writes take their turn in one chain,
   * in the order the messages arrived, so a user's messages keep that order even when the checks of
   * two of them end the other way round (two connections of a PostgreSQL pool). The store's count runs
   * between two writes, in that chain, and the message is added as it ends: a count read beside a
   * write could miss the batch whose end had already taken it out of the waiting ones, and let the
   * queue grow past the limit.
   */
  addWithin(to: string, limit: number, make: () => WaitingOfflineMessage<Source>,
    admissible: Promise<boolean> = Promise.resolve(true)): Promise<'added' | 'full' | 'refused'> {
    // a failed check is the chain's failure for this message only
    admissible.catch(() => {});
    const added = this.writing.then(async () => {
      if (!(await admissible)) return 'refused' as const;
      if ((await this.store.count(to)) + this.waiting(to) >= limit) return 'full' as const;
      this.add(make());
      return 'added' as const;
    });
    this.writing = added.then(() => undefined, () => undefined);
    return added;
  }

  add(message: WaitingOfflineMessage<Source>): void {
    this.pending.push(message);
    this.unstored.set(message.to, this.waiting(message.to) + 1);
    this.commits.schedule();
  }

  /** The group commit (TurnWriter). */
  commit(): void | Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = this.writing.then(() => this.store.pushAll(batch)).then(() => this.forget(batch), (error: unknown) => {
      this.forget(batch);
      this.onFailure(batch, error);
    });
    return this.writing;
  }

  /**
   * Everything added so far is stored (or was bounced): a user's queue read now is complete. That
   * includes the messages whose admission (addWithin) had begun: the chain is waited for first, so
   * that they are added, then they are written.
   */
  async stored(): Promise<void> {
    await this.writing;
    await this.commit();
    await this.writing;
  }

  private forget(batch: Array<WaitingOfflineMessage<Source>>): void {
    for (const message of batch) {
      const left = this.waiting(message.to) - 1;
      if (left > 0) this.unstored.set(message.to, left);
      else this.unstored.delete(message.to);
    }
  }
}
