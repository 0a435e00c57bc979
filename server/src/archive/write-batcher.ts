// Archive appends gathered for the group commit (storage/group-commit.ts): one transaction (or queue
// write) at the end of a turn in which a client waits for an answer after them, else within 50 ms;
// sooner once WRITE_BATCH entries wait. Queries and close() write what is waiting first.
// A store whose writer is another thread may take waiting items ahead of the commit (`stage`): they
// then wait there, off this heap (see SqliteArchiveStore), and the commit writes them with the rest.
import type { GroupCommit, TurnWriter } from '../storage/group-commit.ts';

/** A turn with more appends than this writes them in several transactions (bounded memory and transaction size). */
export const WRITE_BATCH = 4000;

/** Items handed to the writer ahead of the commit (`stage`) this many at a time. */
export interface Staging<T> {
  items: number;
  /** Takes `items` for the next write; what is staged is committed by the next `write` call. */
  stage(items: T[]): void;
}

export class WriteBatcher<T> implements TurnWriter {
  private pending: T[] = [];
  /** Entries not committed yet: pending here, or staged. */
  private waiting = 0;
  private stopped = false;

  /**
   * `write` gets each batch once (after the items staged before it); it handles (and logs) its own
   * failures. It returns a Promise when the write is asynchronous (the archive's writer thread, a
   * queue in a networked state storage): the group commit waits for it.
   */
  constructor(private readonly commits: GroupCommit, private readonly write: (batch: T[]) => void | Promise<void>,
    private readonly staging?: Staging<T>) {
    commits.register(this);
  }

  /** Entries waiting for the next batch. */
  get size(): number {
    return this.waiting;
  }

  append(items: T[]): void {
    if (this.stopped) return;
    for (let i = 0; i < items.length; i++) this.pending.push(items[i]!);
    this.added(items.length);
  }

  /**
   * `push` adds to the waiting items what `source` holds: `entries` archive entries, in items of the
   * store's own shape (the embedded store pushes flat row values, several per entry).
   */
  appendWith<S>(push: (pending: T[], source: S) => void, source: S, entries: number): void {
    if (this.stopped) return;
    push(this.pending, source);
    this.added(entries);
  }

  private added(entries: number): void {
    this.waiting += entries;
    if (this.staging !== undefined && this.pending.length >= this.staging.items) {
      this.staging.stage(this.pending);
      this.pending = [];
    }
    if (this.waiting >= WRITE_BATCH) this.commits.commitNow();
    else this.commits.schedule();
  }

  /** The group commit (TurnWriter). */
  commit(): void | Promise<void> {
    return this.flush();
  }

  /** Write what is waiting now. */
  flush(): void | Promise<void> {
    if (this.waiting === 0 || this.stopped) return;
    const batch = this.pending;
    this.pending = [];
    this.waiting = 0;
    return this.write(batch);
  }

  /** Flush, then take no more. */
  stop(): void | Promise<void> {
    const written = this.flush();
    this.stopped = true;
    return written;
  }
}
