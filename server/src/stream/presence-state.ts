// What RFC 6121 needs to remember about one session's presence.
import type { Element } from '@parley/shared';

export class PresenceState {
  /** Initial presence sent and not yet unavailable (RFC 6121 §4.2): an "available resource". */
  available = false;
  /** Priority of the last broadcast presence (RFC 6121 §4.7.2.3), -128..127. */
  priority = 0;
  /** The last broadcast presence, re-sent to contacts that probe or subscribe. */
  last: Element | null = null;
  /** Requested the roster (RFC 6121 §2.1.6 "interested resource"): gets roster pushes. */
  interested = false;
  /** Full/bare JIDs that got directed presence from this session (RFC 6121 §4.6), told when it goes offline. */
  directedTo: Set<string> | null = null;
}
