// XEP-0198 stream management, the client's bookkeeping: what we handled (our 'h'), what we sent
// and the server has not acknowledged yet, and the resumption id. Counters wrap at 2^32 (§4).
// It only counts; the client (client.ts) sends <r/>, <a/>, <enable/> and <resume/>.
import type { Element } from '@parley/shared';

const WRAP = 2 ** 32;

export interface Resumption {
  /** The server's id for the session (§3 <enabled id/>). */
  id: string;
  /** Stanzas we handled on it so far: the 'h' of <resume/>. */
  handled: number;
}

export class StreamManagement {
  /** Set once <enabled/> came back. */
  enabled = false;
  /** The resumption id, when the server allows resumption (§5). */
  resumptionId: string | null = null;
  /** Stanzas received and handled since <enabled/> (mod 2^32). */
  handled = 0;
  /** The server's last 'h' for what we sent. */
  private acknowledged = 0;
  /** What we sent, oldest first, not acknowledged yet. */
  private unacknowledged: Element[] = [];

  /** §4: both counters start at zero when the server says <enabled/>. */
  enable(resumptionId: string | null): void {
    this.enabled = true;
    this.resumptionId = resumptionId;
    this.handled = 0;
    this.acknowledged = 0;
    this.unacknowledged = [];
  }

  /** What a <resume/> needs, or null when this session cannot be resumed. */
  get resumption(): Resumption | null {
    return this.enabled && this.resumptionId ? { id: this.resumptionId, handled: this.handled } : null;
  }

  get pending(): number {
    return this.unacknowledged.length;
  }

  received(): void {
    if (this.enabled) this.handled = (this.handled + 1) % WRAP;
  }

  sent(stanza: Element): void {
    if (this.enabled) this.unacknowledged.push(stanza);
  }

  /**
   * An <a h/> (or the h of <resumed/>): drop what it covers. An 'h' that does not move forward is
   * ignored; one beyond what we sent is a server error (§4), reported as false.
   */
  acknowledge(h: number): boolean {
    const newly = (h - this.acknowledged + WRAP) % WRAP;
    if (newly > this.unacknowledged.length) {
      // counted backwards (a stale ack, wrapped) or more than we sent
      if (newly > WRAP / 2) return true;
      return false;
    }
    this.unacknowledged.splice(0, newly);
    this.acknowledged = h;
    return true;
  }

  /**
   * §5 <resumed h/>: what the server did not get, to send again (the client counts them anew as it
   * sends them). The counters and the id stay.
   */
  resumed(h: number): Element[] {
    this.acknowledge(h);
    const again = this.unacknowledged;
    this.unacknowledged = [];
    return again;
  }

  /**
   * The session is gone (resumption failed, or it was never resumable): what was not acknowledged,
   * for the caller to decide what is worth sending on a new session; the state starts afresh.
   */
  reset(): Element[] {
    const lost = this.unacknowledged;
    this.enabled = false;
    this.resumptionId = null;
    this.handled = 0;
    this.acknowledged = 0;
    this.unacknowledged = [];
    return lost;
  }
}
