// XEP-0124 §14.3 and §9.2: the last responses of a session, kept for requests the client resends
// after a broken connection, and the 'report' for one it says it never got.
import { attribute } from './bosh-body.ts';

interface BufferedResponse {
  body: string;
  sentAt: number;
}

/** §9.2: a response sent this recently may still be on its way; its absence from 'ack' is no loss yet. */
const REPORT_GRACE_MS = 500;

export class ResponseBuffer {
  /** By rid, oldest first (responses go out in rid order). */
  private readonly responses = new Map<number, BufferedResponse>();
  private lastRid = 0;

  /** `size`: as many as the client may have requests open (§14.3). */
  constructor(private readonly size: number) {}

  get(rid: number): string | undefined {
    return this.responses.get(rid)?.body;
  }

  add(rid: number, body: string, now: number): void {
    this.responses.set(rid, { body, sentAt: now });
    while (this.responses.size > this.size) this.responses.delete(this.responses.keys().next().value!);
    this.lastRid = rid;
  }

  /** A response that is never buffered (the answer to a pause, §10) still counts as sent. */
  answered(rid: number): void {
    this.lastRid = rid;
  }

  /**
   * The client has every response up to `ack` (§9.2): those are forgotten. When it lacks one we sent
   * a while ago, the ' report time' attributes to put on the next response; '' otherwise.
   */
  acknowledge(ack: number, now: number): string {
    for (const rid of this.responses.keys()) {
      if (rid > ack) break;
      this.responses.delete(rid);
    }
    if (ack >= this.lastRid) return '';
    const missing = this.responses.get(ack + 1);
    if (!missing || now - missing.sentAt < REPORT_GRACE_MS) return '';
    return attribute('report', ack + 1) + attribute('time', now - missing.sentAt);
  }
}
