// XEP-0198 §4 counting for one session: stanzas handled from the client (the server's 'h'), and the
// stanzas sent to it, kept until its <a h/> acknowledges them. Counters wrap at 2^32 (§4: "h" is an
// unsigned 32-bit integer). The counter is the session's StanzaAcknowledgement; it lives on the
// session (per-session state), its queue goes with the session wherever the session goes.
import type { SessionHandle } from '../../core/origin.ts';
import { SessionKey } from '../../core/session-data.ts';
import type { DeliveryReceipt, StanzaAcknowledgement } from '../../core/session-output.ts';

const ACK_REQUEST = "<r xmlns='urn:xmpp:sm:3'/>";
const WRAP = 2 ** 32;
const HALF = 2 ** 31;

/** A stanza sent and not yet acknowledged. */
export interface KeptStanza {
  readonly xml: string;
  /** Told once acknowledged (a stored copy is deleted then); null for stanzas nobody stores. */
  readonly receipt: DeliveryReceipt | null;
}

export interface AckPolicy {
  /** Ask for an ack once this many stanzas wait for one. */
  readonly requestEvery: number;
  /** Ask for an ack this long after a stanza went out, when fewer wait. */
  readonly requestDelayMs: number;
  /** More unacknowledged stanzas than this and the session has to go (overflow()). */
  readonly maxUnacknowledged: number;
  /** The queue is over the limit. Called once, asynchronously. */
  overflow(session: SessionHandle): void;
  /** A stanza was kept while no stream carries the session. */
  keptWhileDetached(session: SessionHandle, xml: string): void;
}

export type AckOutcome =
  | { readonly kind: 'acknowledged'; readonly count: number }
  /** §4 and client-quirks.md: an 'h' that does not move forward is ignored. */
  | { readonly kind: 'stale' }
  /** §4: more than was sent (<handled-count-too-high/>). */
  | { readonly kind: 'too-high'; readonly sent: number };

export class StanzaCounter implements StanzaAcknowledgement {
  /** Stanzas handled from the client, mod 2^32 (what the server's <a h/> says). */
  handled = 0;
  /** Stanzas sent to the client, mod 2^32. */
  private sentCount = 0;
  /** The client's last 'h'. */
  private ackedCount = 0;
  /**
   * Unacknowledged stanzas from `head` on (a queue without shifting on every ack), with their
   * receipts in a parallel array: no object per stanza on the hot path.
   */
  private kept: string[] = [];
  private receipts: Array<DeliveryReceipt | null> = [];
  private head = 0;
  private requestPending = false;
  private requestTimer: NodeJS.Timeout | null = null;
  private overflowing = false;
  /** Ends the wait for resumption (hibernation.ts). */
  hibernationTimer: NodeJS.Timeout | null = null;

  /**
   * `resumptionId`: XEP-0198 §5 id when the client asked for resumption (null: not resumable);
   * `maxSeconds`: how long a dropped session waits for it.
   */
  constructor(private readonly session: SessionHandle, private readonly policy: AckPolicy,
    readonly resumptionId: string | null, readonly maxSeconds: number, startAt = 0) {
    // §4 starts both counts at zero; another start lets the wrap at 2^32 be tested without 2^32 stanzas
    this.handled = this.sentCount = this.ackedCount = startAt;
  }

  /** Stanzas sent so far, mod 2^32. */
  get sentTotal(): number {
    return this.sentCount;
  }

  get unacknowledged(): number {
    return this.kept.length - this.head;
  }

  // ---- StanzaAcknowledgement (session/client-session.ts) ----

  received(): void {
    this.handled = (this.handled + 1) % WRAP;
  }

  sent(xml: string, receipt: DeliveryReceipt | null): void {
    this.kept.push(xml);
    this.receipts.push(receipt);
    this.sentCount = (this.sentCount + 1) % WRAP;
    const waiting = this.kept.length - this.head;
    if (waiting > this.policy.maxUnacknowledged && !this.overflowing) {
      this.overflowing = true;
      setImmediate(() => this.policy.overflow(this.session));
    }
    if (!this.session.attached) return this.policy.keptWhileDetached(this.session, xml);
    if (this.requestPending) return;
    if (waiting >= this.policy.requestEvery) this.requestAck();
    else if (this.requestTimer === null) {
      this.requestTimer = setTimeout(requestLater, this.policy.requestDelayMs, this);
      this.requestTimer.unref?.();
    }
  }

  // ---- from the client ----

  /** The client's <a h/> (or the 'h' of its <resume/>). */
  acknowledge(h: number): AckOutcome {
    this.requestPending = false;
    const count = (h - this.ackedCount + WRAP) % WRAP;
    if (count === 0) return { kind: 'stale' };
    if (count > this.unacknowledged) {
      // a decreasing 'h' (mod 2^32: less than half the range behind) is stale; ahead of what was sent is too high
      const behind = (this.ackedCount - h + WRAP) % WRAP;
      return behind < HALF ? { kind: 'stale' } : { kind: 'too-high', sent: this.sentCount };
    }
    this.ackedCount = h;
    const end = this.head + count;
    for (let i = this.head; i < end; i++) this.receipts[i]?.delivered();
    this.head = end;
    if (this.head === this.kept.length) {
      this.kept = [];
      this.receipts = [];
      this.head = 0;
    } else if (this.head > 64 && this.head * 2 > this.kept.length) {
      this.kept = this.kept.slice(this.head);
      this.receipts = this.receipts.slice(this.head);
      this.head = 0;
    }
    this.requestAgainIfBehind();
    return { kind: 'acknowledged', count };
  }

  /**
   * After an ack the client may still be behind: stanzas sent while the request was in flight
   * asked for none (one request at a time). Without a new request a burst (thousands of presences
   * at sign-in) would wait unacknowledged until the queue overflows.
   */
  private requestAgainIfBehind(): void {
    const waiting = this.unacknowledged;
    if (waiting >= this.policy.requestEvery) this.requestAck();
    else if (waiting > 0 && this.requestTimer === null && this.session.attached) {
      this.requestTimer = setTimeout(requestLater, this.policy.requestDelayMs, this);
      this.requestTimer.unref?.();
    }
  }

  /** The stanzas not yet acknowledged, oldest first (resent on resumption: §5). */
  unacknowledgedStanzas(): KeptStanza[] {
    const rest: KeptStanza[] = [];
    for (let i = this.head; i < this.kept.length; i++) rest.push({ xml: this.kept[i]!, receipt: this.receipts[i] ?? null });
    return rest;
  }

  /** Take the unacknowledged stanzas out (the session ends: they are undeliverable here). */
  drain(): KeptStanza[] {
    const rest = this.unacknowledgedStanzas();
    this.kept = [];
    this.receipts = [];
    this.head = 0;
    return rest;
  }

  requestAck(): void {
    this.clearRequestTimer();
    if (!this.session.attached) return;
    this.requestPending = true;
    this.session.write(ACK_REQUEST);
  }

  /** The delay after a stanza went out passed (requestDelayMs). */
  requestDelayPassed(): void {
    this.requestTimer = null;
    if (this.unacknowledged > 0 && !this.requestPending) this.requestAck();
  }

  /** A stream carries the session again (resumption): the ack in flight on the old one is gone. */
  reattached(): void {
    this.requestPending = false;
    if (this.unacknowledged > 0) this.requestAck();
  }

  stop(): void {
    this.clearRequestTimer();
    if (this.hibernationTimer) clearTimeout(this.hibernationTimer);
    this.hibernationTimer = null;
  }

  private clearRequestTimer(): void {
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.requestTimer = null;
  }
}

function requestLater(counter: StanzaCounter): void {
  counter.requestDelayPassed();
}

/** §4: 'h' is an unsigned 32-bit integer in decimal. */
export function parseH(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,10}$/.test(value)) return null;
  const h = Number(value);
  return h < WRAP ? h : null;
}

/** A session's counter, once the client enabled stream management. */
export const COUNTER = new SessionKey<StanzaCounter>('stream-management.counter');
