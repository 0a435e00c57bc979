// Our <db:verify/> questions on an outgoing stream (XEP-0220 §2.3): a peer claimed one of its
// domains towards us, and we ask that domain's authoritative server whether it made the key for our
// stream id. Asked once the stream may carry them; answered by id; all false when the stream ends.
import type { Element } from '@parley/shared';
import { dialback } from './wire.ts';

interface PendingVerify {
  readonly element: string;
  readonly id: string;
  /** The pair it is asked for (the link's own, or a piggybacked one's). */
  readonly local: string;
  readonly remote: string;
  sent: boolean;
  resolve(valid: boolean): void;
}

export class VerifyRequests {
  private readonly pending: PendingVerify[] = [];

  /** A question for our stream `streamId` to the server of `remote`; sent by the next sendWaiting(). */
  ask(streamId: string, key: string, local: string, remote: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.pending.push({ id: streamId, local, remote, sent: false, resolve, element: dialback('verify', { from: local, to: remote, id: streamId }, key) });
    });
  }

  /** Write the questions not sent yet. */
  sendWaiting(write: (xml: string) => void): void {
    for (const pending of this.pending) {
      if (pending.sent) continue;
      pending.sent = true;
      write(pending.element);
    }
  }

  /** The peer's <db:verify type=…/>: valid only for the pair it was asked for. */
  answer(answer: Element): void {
    const index = this.pending.findIndex((pending) => pending.sent && pending.id === answer.attrs.id);
    if (index === -1) return;
    const [pending] = this.pending.splice(index, 1);
    pending!.resolve(answer.attrs.type === 'valid' && answer.attrs.from === pending!.remote && answer.attrs.to === pending!.local);
  }

  /** The stream ended: nothing it was asked is proven. */
  failAll(): void {
    for (const pending of this.pending.splice(0)) pending.resolve(false);
  }
}
