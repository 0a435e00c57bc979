// Bound client sessions by JID (RFC 6120 §7: one full JID, one session).
import { StreamError } from '@parley/shared';
import type { ClientSession } from '../stream/session.ts';

export type SessionListener = (session: ClientSession) => void;

export class SessionRegistry {
  private readonly byBare = new Map<string, Map<string, ClientSession>>();
  private readonly endedListeners: SessionListener[] = [];
  /** Every open stream, bound or not (for system-shutdown on stop). */
  private readonly open = new Set<ClientSession>();
  private count = 0;

  opened(session: ClientSession): void {
    this.open.add(session);
  }

  closed(session: ClientSession): void {
    this.open.delete(session);
  }

  /** Every open stream, bound or still negotiating. */
  allOpen(): ClientSession[] {
    return [...this.open];
  }

  get size(): number {
    return this.count;
  }

  /** Register a bound session; an older session with the same full JID is replaced (RFC 6120 §7.7.2.2). */
  bind(session: ClientSession): void {
    const jid = session.jid!;
    let resources = this.byBare.get(jid.bare);
    if (!resources) {
      resources = new Map();
      this.byBare.set(jid.bare, resources);
    }
    const previous = resources.get(jid.resource);
    if (previous && previous !== session) {
      // Ends the old stream; its teardown unbinds it, so contacts see it go unavailable first.
      previous.streamError(new StreamError('conflict', 'replaced by a new session for the same resource'));
      if (!this.byBare.has(jid.bare)) this.byBare.set(jid.bare, resources);
    }
    resources.set(jid.resource, session);
    this.count++;
  }

  /** Called when a bound session ends. */
  unbind(session: ClientSession): void {
    if (this.forget(session)) {
      for (const listener of this.endedListeners) listener(session);
    }
  }

  onSessionEnded(listener: SessionListener): void {
    this.endedListeners.push(listener);
  }

  get(fullJid: string, resource?: string): ClientSession | undefined {
    if (resource === undefined) {
      const slash = fullJid.indexOf('/');
      if (slash === -1) return undefined;
      return this.byBare.get(fullJid.slice(0, slash))?.get(fullJid.slice(slash + 1));
    }
    return this.byBare.get(fullJid)?.get(resource);
  }

  /** All sessions of an account (bare JID); empty when offline. */
  resources(bareJid: string): Iterable<ClientSession> {
    return this.byBare.get(bareJid)?.values() ?? EMPTY;
  }

  hasSessions(bareJid: string): boolean {
    return this.byBare.has(bareJid);
  }

  *all(): Iterable<ClientSession> {
    for (const resources of this.byBare.values()) yield* resources.values();
  }

  private forget(session: ClientSession): boolean {
    const jid = session.jid;
    if (!jid) return false;
    const resources = this.byBare.get(jid.bare);
    if (resources?.get(jid.resource) !== session) return false;
    resources.delete(jid.resource);
    if (resources.size === 0) this.byBare.delete(jid.bare);
    this.count--;
    return true;
  }
}

const EMPTY: Iterable<ClientSession> = [];
