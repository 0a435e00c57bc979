// Group commit: what the archive and offline storage keep for a stanza is committed before anything
// later is written back on the stream that sent it. Writers gather writes in memory; a stream that
// sent a stanza with such a write remembers the commit that will take it (`upcoming`), and output for
// that stream before that commit is done is held (stream/output-gate.ts). A held stream makes the
// commit happen at the end of the event-loop turn (setImmediate: after the turn's I/O callbacks): each
// writer commits what waits in one transaction, then the held output is written ("uncorked"). When
// no stream waits, writes wait up to WRITE_DELAY_MS for more (fewer, larger transactions): nobody
// has been told anything about them yet. A kill -9 after a client saw an answer thus loses nothing
// it sent before that answer.

/** Longest time writes wait for a commit while no stream waits for them. */
export const WRITE_DELAY_MS = 50;

/** Keeps writes in memory until commit(), which writes them all in one transaction. */
export interface TurnWriter {
  /**
   * Writes what waits, in one transaction; throws or rejects when that failed. Returns at once
   * (synchronously) when nothing waits; a Promise only for a write that really is asynchronous.
   */
  commit(): void | Promise<void>;
  /** Writes waiting for the next commit (entries, messages). */
  readonly size: number;
}

/** A stream whose output waits for a commit (stream/output-gate.ts). */
export interface HeldStream {
  /** A commit is done (`done` is its number, see GroupCommit.done): write what waited for it. */
  releaseOutput(done: number): void;
}

export type CommitFailure = (error: unknown, writer: TurnWriter) => void;

/** Where commit durations go (metrics/counters.ts TimeHistogram). */
export interface CommitTimes {
  start(): number;
  end(started: number): void;
}

export class GroupCommit {
  private readonly writers: TurnWriter[] = [];
  /** Streams whose output waits for the next commit. */
  private held: HeldStream[] = [];
  /** The end-of-turn commit, when a stream waits. */
  private immediate: NodeJS.Immediate | null = null;
  /** The later commit, when writes wait but no stream does. */
  private timer: NodeJS.Timeout | null = null;
  /** An asynchronous commit still running (writers on a network or a worker thread). */
  private running: Promise<void> | null = null;
  /** A commit was asked for while one was running: at the end of the turn, or within WRITE_DELAY_MS. */
  private wanted: 'soon' | 'later' | null = null;
  private nextCommit = 1;
  private lastDone = 0;

  /**
   * `times`: each commit's duration (metrics/counters.ts); `maxWaiting`: writes waiting behind a
   * running commit beyond which it is `congested` (config limits.storageWaitingWrites).
   */
  constructor(private readonly onFailure: CommitFailure = () => {}, private readonly times?: CommitTimes,
    private readonly maxWaiting = Number.POSITIVE_INFINITY) {}

  /** The number of the commit that will take the writes made now. */
  get upcoming(): number {
    return this.nextCommit;
  }

  /**
   * A commit is running and `maxWaiting` writes (archive entries, offline messages) wait behind it:
   * a writer on another thread or the network (the archive's writer thread, PostgreSQL) is slower
   * than what the clients send. A client stream whose stanza adds a write then stops reading until
   * that write is committed (stream/c2s-stream.ts), so what waits stays bounded. Without it, an hour
   * of full load made the writer fall behind once the archive passed about 7 GB, and the rows waiting
   * took the server's heap to 1.6 GB live and its RSS past 5 GB (bench soak).
   */
  get congested(): boolean {
    if (this.running === null) return false;
    let waiting = 0;
    for (let i = 0; i < this.writers.length; i++) waiting += this.writers[i]!.size;
    return waiting >= this.maxWaiting;
  }

  /** The number of the last commit done: writes made when `upcoming` was at most this are stored. */
  get done(): number {
    return this.lastDone;
  }

  register(writer: TurnWriter): void {
    this.writers.push(writer);
  }

  /** A writer has writes waiting: commit within WRITE_DELAY_MS, or at the end of the turn if a stream waits. */
  schedule(): void {
    if (this.running !== null) this.wanted ??= 'later';
    else if (this.immediate === null && this.timer === null) this.timer = setTimeout(commitLater, WRITE_DELAY_MS, this);
  }

  /** `stream` has output waiting for the upcoming commit: commit at the end of this turn. Once per commit. */
  hold(stream: HeldStream): void {
    this.held.push(stream);
    this.soon();
  }

  /** A writer has a full batch: commit now (after the running commit, if one runs). */
  commitNow(): void {
    if (this.running !== null) this.wanted = 'soon';
    else void this.commit();
  }

  private soon(): void {
    if (this.running !== null) this.wanted = 'soon';
    else if (this.immediate === null) {
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      this.immediate = setImmediate(commitTurn, this);
    }
  }

  /** Commits what waits now and releases every held stream (used at stop). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    await this.commit();
  }

  /**
   * Every writer commits, then the held streams are released. They are released even when a writer
   * failed: `onFailure` logs it, and writers answer for their own entries (the offline queue bounces
   * what it could not store).
   */
  commit(): void | Promise<void> {
    if (this.immediate !== null) clearImmediate(this.immediate);
    if (this.timer !== null) clearTimeout(this.timer);
    this.immediate = null;
    this.timer = null;
    const number = this.nextCommit++;
    const started = this.times?.start() ?? -1;
    const held = this.held;
    this.held = [];
    let pending: Array<Promise<void>> | null = null;
    for (const writer of this.writers) {
      try {
        const result = writer.commit();
        if (result instanceof Promise) (pending ??= []).push(result.catch((error: unknown) => this.onFailure(error, writer)));
      } catch (error) {
        this.onFailure(error, writer);
      }
    }
    if (pending === null) {
      this.times?.end(started);
      return this.finished(number, held);
    }
    // Writes made while this commit runs wait for the next one, which starts once this one is done.
    this.running = Promise.all(pending).then(() => {
      this.running = null;
      this.times?.end(started);
      this.finished(number, held);
      const wanted = this.wanted;
      this.wanted = null;
      if (wanted === 'soon' || this.held.length > 0) this.soon();
      else if (wanted === 'later') this.schedule();
    });
    return this.running;
  }

  private finished(number: number, held: HeldStream[]): void {
    this.lastDone = number;
    for (let i = 0; i < held.length; i++) held[i]!.releaseOutput(number);
  }
}

function commitTurn(commits: GroupCommit): void {
  void commits.commit();
}

function commitLater(commits: GroupCommit): void {
  void commits.commit();
}
