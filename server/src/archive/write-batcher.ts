// Archive appends gathered into batches: one transaction (or queue write) per WRITE_DELAY_MS or
// WRITE_BATCH entries, whichever comes first. Queries and close() flush what is waiting.

export const WRITE_DELAY_MS = 50;
export const WRITE_BATCH = 4000;

export class WriteBatcher<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `write` gets each batch once; it handles (and logs) its own failures. */
  constructor(private readonly write: (batch: T[]) => void) {}

  /** Entries waiting for the next batch. */
  get size(): number {
    return this.pending.length;
  }

  append(items: T[]): void {
    if (this.stopped) return;
    for (const item of items) this.pending.push(item);
    if (this.pending.length >= WRITE_BATCH) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), WRITE_DELAY_MS);
  }

  /** Write what is waiting now. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0 || this.stopped) return;
    const batch = this.pending;
    this.pending = [];
    this.write(batch);
  }

  /** Flush, then take no more. */
  stop(): void {
    this.flush();
    this.stopped = true;
  }
}
