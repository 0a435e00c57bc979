// Back-pressure from the storage for the streams of servers and components (s2s/incoming-stream.ts,
// component-stream.ts): when a stanza they sent adds an archive or offline write while the group
// commit is congested (storage/group-commit.ts `congested`), the stream stops reading until the next
// commit, which takes that write, is done. A federated peer or a component that floods local users
// then goes at the storage's pace instead of the waiting rows growing in memory. Client streams do
// the same through their output gate (c2s-stream.ts holdInput).
import type { GroupCommit, HeldStream } from '../storage/group-commit.ts';
import type { ServerCounters } from '../metrics/counters.ts';
import type { Connection } from './connection.ts';

export interface StorageBackPressure {
  readonly commits: Pick<GroupCommit, 'congested' | 'hold'>;
  /** Each stop is counted (parley_storage_input_held_total). */
  readonly counters: Pick<ServerCounters, 'inputsHeld'>;
}

export class InputHold implements HeldStream {
  private held = false;

  constructor(private readonly pressure: StorageBackPressure | undefined, private readonly connection: Pick<Connection, 'pauseInput' | 'resumeInput'>) {}

  /** A stanza read from the stream added a storage write (Origin.markUncommittedWrite). */
  wrote(): void {
    const pressure = this.pressure;
    if (pressure === undefined || this.held || !pressure.commits.congested) return;
    this.held = true;
    // what the parser already has goes on; the next read waits (over TCP the peer's sending blocks)
    this.connection.pauseInput?.();
    pressure.commits.hold(this);
    pressure.counters.inputsHeld++;
  }

  /** HeldStream: the commit that took the write is done. */
  releaseOutput(): void {
    this.held = false;
    this.connection.resumeInput?.();
  }
}
