// Group commit: what the archive and offline storage keep for a stanza is committed before anything
// later is written back on the stream that sent it. Writers gather their writes in memory during an
// event-loop turn; once per turn (setImmediate: after the turn's I/O callbacks) each commits them in
// one transaction, then the streams whose output waited for that commit get it written ("uncorked").
// A kill -9 after a client saw an answer therefore never loses what it sent before that answer.

/** Keeps writes in memory until commit(), which writes them all in one transaction. */
export interface TurnWriter {
  /**
   * Writes what waits, in one transaction; throws or rejects when that failed. Returns at once
   * (synchronously) when nothing waits; a Promise only for a write that really is asynchronous.
   */
  commit(): void | Promise<void>;
}

/** A stream whose output waits for a commit (stream/session.ts). */
export interface HeldStream {
  /** The commit it waited for is done: write what was held. `commit` is that commit's number. */
  releaseOutput(commit: number): void;
}

export type CommitFailure = (error: unknown, writer: TurnWriter) => void;

export class GroupCommit {
  private readonly writers: TurnWriter[] = [];
  /** Streams waiting for the next commit. */
  private held: HeldStream[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  /** An asynchronous commit still running (writers on a network or a worker thread). */
  private running: Promise<void> | null = null;
  /** A commit was asked for while one was running. */
  private wanted = false;
  /** Number of the commit that will take what is written now; a stream held for it keeps the number. */
  private nextCommit = 1;

  constructor(private readonly onFailure: CommitFailure = () => {}) {}

  /** The commit that will take the writes made now (HeldStream.releaseOutput gets it back). */
  get upcoming(): number {
    return this.nextCommit;
  }

  register(writer: TurnWriter): void {
    this.writers.push(writer);
  }

  /** A writer has writes waiting: commit them at the end of this turn. */
  schedule(): void {
    if (this.running !== null) this.wanted = true;
    else if (this.scheduled === null) this.scheduled = setImmediate(commitTurn, this);
  }

  /** `stream`'s output waits until the upcoming commit is done (call once per commit: see `upcoming`). */
  hold(stream: HeldStream): void {
    this.held.push(stream);
    this.schedule();
  }

  /** Commits what waits now and releases every held stream (used at stop). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    await this.commit();
  }

  /**
   * One turn's commit: every writer, then the streams that waited for it. They are released even
   * when a writer failed: `onFailure` logs it, and writers answer for their own entries (the offline
   * queue bounces what it could not store).
   */
  commit(): void | Promise<void> {
    this.scheduled = null;
    const number = this.nextCommit++;
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
    if (pending === null) return release(held, number);
    // Writes made while this commit runs wait for the next one, which starts once this one is done.
    this.running = Promise.all(pending).then(() => {
      this.running = null;
      release(held, number);
      if (this.wanted || this.held.length > 0) {
        this.wanted = false;
        this.schedule();
      }
    });
    return this.running;
  }
}

function commitTurn(commits: GroupCommit): void {
  void commits.commit();
}

function release(held: HeldStream[], commit: number): void {
  for (let i = 0; i < held.length; i++) held[i]!.releaseOutput(commit);
}
