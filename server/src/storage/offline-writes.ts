// Offline messages (XEP-0160) gathered for the turn's group commit (group-commit.ts): stored in one
// transaction per event-loop turn, before the sender's stream sees anything written after them.
import type { GroupCommit, TurnWriter } from './group-commit.ts';
import type { NewOfflineMessage, OfflineStore } from './types.ts';

/** A message waiting for the commit, with what its writer needs if storing it fails (`source`). */
export interface WaitingOfflineMessage<Source> extends NewOfflineMessage {
  source: Source;
}

export type OfflineWriteFailure<Source> = (messages: Array<WaitingOfflineMessage<Source>>, error: unknown) => void;

export class OfflineWrites<Source> implements TurnWriter {
  private pending: Array<WaitingOfflineMessage<Source>> = [];
  /** Waiting messages per recipient, so that the queue limit counts them. */
  private readonly perRecipient = new Map<string, number>();

  constructor(private readonly store: OfflineStore, private readonly commits: GroupCommit,
    private readonly onFailure: OfflineWriteFailure<Source>) {
    commits.register(this);
  }

  /** Messages for `to` not committed yet (the store's count does not include them). */
  waiting(to: string): number {
    return this.perRecipient.get(to) ?? 0;
  }

  add(message: WaitingOfflineMessage<Source>): void {
    this.pending.push(message);
    this.perRecipient.set(message.to, this.waiting(message.to) + 1);
    this.commits.schedule();
  }

  /** The group commit (TurnWriter); also called before the queue is read, so that it is complete. */
  commit(): void | Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.perRecipient.clear();
    return this.store.pushAll(batch).catch((error: unknown) => this.onFailure(batch, error));
  }
}
