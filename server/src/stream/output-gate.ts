// A stream's output held back until the group commit (storage/group-commit.ts): while a stanza the
// client sent has an archive or offline write not yet committed, whatever is written back to that
// stream later (an iq result, a later stanza, an error, the stream's end) waits, in order, for the
// commit. An answer the client sees then means that everything it sent before is stored.
import type { StreamError } from '@parley/shared';
import type { GroupCommit, HeldStream } from '../storage/group-commit.ts';
import type { Connection } from './connection.ts';

/** How the stream ends once its held output is out: with an error, a clean close, or not (null). */
export type DeferredEnd = StreamError | 'close' | null;

export interface GatedStream {
  readonly connection: Connection;
  /** The held output was written; end the stream as asked while it was held. */
  outputReleased(end: DeferredEnd): void;
}

export class OutputGate implements HeldStream {
  private output: string[] | null = null;
  /** The commit the output waits for (GroupCommit.upcoming when the write was made). */
  private heldFor = 0;
  /** In the group commit's list of held streams. */
  private registered = false;
  private end: DeferredEnd = null;

  constructor(private readonly commits: GroupCommit, private readonly stream: GatedStream) {}

  /** True while output waits for a commit. */
  get holding(): boolean {
    return this.output !== null;
  }

  /** Hold what is written from now on until commit number `commit` is done. */
  hold(commit: number): void {
    if (commit > this.heldFor) this.heldFor = commit;
    this.output ??= [];
    this.register();
  }

  /** Output written while holding. */
  push(data: string): void {
    this.output!.push(data);
  }

  /** The stream ended while holding: end it (error, footer, close) after the held output. */
  endAfterRelease(end: StreamError | 'close'): void {
    this.end ??= end;
  }

  /** The transport is gone: nothing is left to write. */
  drop(): void {
    this.output = null;
    this.end = null;
  }

  releaseOutput(done: number): void {
    this.registered = false;
    if (this.output === null) return;
    if (done < this.heldFor) return this.register(); // it waits for a later commit
    const output = this.output;
    const end = this.end;
    this.output = null;
    this.end = null;
    const connection = this.stream.connection;
    for (let i = 0; i < output.length; i++) connection.write(output[i]!);
    this.stream.outputReleased(end);
  }

  private register(): void {
    if (this.registered) return;
    this.registered = true;
    this.commits.hold(this);
  }
}
