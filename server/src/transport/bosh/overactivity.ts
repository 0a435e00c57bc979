// XEP-0124 §11 and §12: a client making more requests than it may, and our own per-second limit.
import { xboshAttribute, type BoshRequest } from './bosh-body.ts';
import type { SessionParameters } from './bosh-params.ts';

export class Overactivity {
  private windowStart = 0;
  private count = 0;
  private lastRequestAt: number;
  /** §12: the last empty request of a polling session got an empty answer. */
  private lastPollEmpty = false;

  constructor(private readonly params: SessionParameters, private readonly requestsPerSecond: number, now: number) {
    this.lastRequestAt = now;
  }

  /** Every request counts, resent ones included: a session may not make the server work without bound. */
  withinRate(now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= this.requestsPerSecond;
  }

  /**
   * A new request (not a resent one), `unanswered` counting it and every other one still open;
   * `fillsGap` when a higher rid already arrived (then it is not the newest request).
   */
  tooMany(request: BoshRequest, unanswered: number, now: number, fillsGap = false): boolean {
    const attrs = request.attrs;
    // §11: one more request is allowed to pause or terminate
    if (attrs.type === 'terminate' || attrs.pause !== undefined) return false;
    const previous = this.lastRequestAt;
    this.lastRequestAt = now;
    if (unanswered > this.params.requests) return true;
    const empty = request.payloads.length === 0 && xboshAttribute(attrs, 'restart') !== 'true';
    const tooSoon = now - previous < this.params.polling * 1000;
    // §11: a full window of unanswered requests, the newest empty and close on the previous one
    if (unanswered === this.params.requests && empty && tooSoon && !fillsGap) return true;
    // §12: a polling session's two empty requests in a row, the first answered empty, too close together
    return this.params.hold === 0 && empty && this.lastPollEmpty && tooSoon;
  }

  /** For §12: what a polling session's answer was. */
  answered(requestWasEmpty: boolean, payload: string): void {
    if (this.params.hold === 0) this.lastPollEmpty = requestWasEmpty && payload === '';
  }
}
