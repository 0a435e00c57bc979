// Archive appends gathered for the group commit (storage/group-commit.ts): one transaction (or queue
// write) at the end of a turn in which a client waits for an answer after them, else within 50 ms;
// sooner once WRITE_BATCH entries wait. Queries and close() write what is waiting first.
import type { GroupCommit, TurnWriter } from '../storage/group-commit.ts';

/** A turn with more appends than this writes them in several transactions (bounded memory and transaction size). */
export const WRITE_BATCH = 4000;

export class WriteBatcher<T> implements TurnWriter {
  private pending: T[] = [];
  private stopped = false;

  /**
   * `write` gets each batch once; it handles (and logs) its own failures. It returns a Promise when
   * the write is asynchronous (a queue in a networked state storage): the group commit waits for it.
   */
  constructor(private readonly commits: GroupCommit, private readonly write: (batch: T[]) => void | Promise<void>) {
    commits.register(this);
  }

  /** Entries waiting for the next batch. */
  get size(): number {
    return this.pending.length;
  }

  append(items: T[]): void {
    if (this.stopped) return;
    for (let i = 0; i < items.length; i++) this.pending.push(items[i]!);
    if (this.pending.length >= WRITE_BATCH) this.commits.commitNow();
    else this.commits.schedule();
  }

  /** The group commit (TurnWriter). */
  commit(): void | Promise<void> {
    return this.flush();
  }

  /** Write what is waiting now. */
  flush(): void | Promise<void> {
    if (this.pending.length === 0 || this.stopped) return;
    const batch = this.pending;
    this.pending = [];
    return this.write(batch);
  }

  /** Flush, then take no more. */
  stop(): void | Promise<void> {
    const written = this.flush();
    this.stopped = true;
    return written;
  }
}
