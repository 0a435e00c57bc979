// RFC 6121 §2 roster: fetched once per session with versioning (§2.6) against a cache in storage,
// kept current by roster pushes (§2.1.6); add, rename and remove contacts.
import { NS, StanzaError, parseJid, parseRosterQuery, rosterGet, rosterSet, xml, type RosterEntry } from '@parley/shared';
import type { XmppClient } from './client.ts';
import { Emitter } from './emitter.ts';

interface CachedRoster {
  version: string;
  items: RosterEntry[];
}

export class RosterService extends Emitter<{
  /** The whole roster (at the start of a session). */
  changed: [ReadonlyMap<string, RosterEntry>];
  /** One item was pushed (RFC 6121 §2.1.6): its new state, or removed. */
  pushed: [bare: string, item: RosterEntry | undefined];
}> {
  readonly items = new Map<string, RosterEntry>();
  private version: string | undefined;
  private readonly cacheKey: string;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly client: XmppClient, private readonly storage: Storage | null) {
    super();
    this.cacheKey = `parley.roster.${client.account.bare}`;
    client.handleIq('set', NS.roster, (iq) => {
      // RFC 6121 §2.1.6: only pushes from our own account are roster pushes.
      const from = iq.attrs.from;
      if (from && parseJid(from).bare !== client.account.bare) throw new StanzaError('service-unavailable');
      const push = parseRosterQuery(iq);
      if (!push || push.items.length !== 1) throw new StanzaError('bad-request');
      const bare = this.apply(push.items[0]!);
      if (push.version !== undefined) this.version = push.version;
      this.saveSoon();
      this.emit('pushed', bare, this.items.get(bare));
      return null;
    });
  }

  /** Get the roster at the start of a session (before initial presence, RFC 6121 §2.2). */
  async fetch(versioning: boolean): Promise<void> {
    const cached = versioning ? this.load() : null;
    const result = await this.client.iq(rosterGet(versioning ? cached?.version ?? '' : undefined));
    const query = parseRosterQuery(result);
    this.items.clear();
    if (!query) {
      // §2.6.3: an empty result means "your cached version is current"; pushes follow for changes.
      for (const item of cached?.items ?? []) this.items.set(item.jid, item);
      this.version = cached?.version;
    } else {
      for (const item of query.items) this.apply(item);
      this.version = query.version;
      this.saveSoon(); // after the first screen, not before it
    }
    this.emit('changed', this.items);
  }

  /** Add or update a contact (RFC 6121 §2.3). */
  async setContact(jid: string, name?: string, groups: string[] = []): Promise<void> {
    await this.client.iq(rosterSet({ jid, name, groups }));
  }

  /** Add a contact and ask to see their presence (RFC 6121 §3.1.1). */
  async addContact(jid: string, name?: string, groups: string[] = []): Promise<void> {
    const bare = parseJid(jid).bare;
    await this.setContact(bare, name, groups);
    this.client.send(xml('presence', { to: bare, type: 'subscribe' }));
  }

  /** Remove a contact: the server cancels both subscriptions (RFC 6121 §2.5.2). */
  async removeContact(jid: string): Promise<void> {
    await this.client.iq(rosterSet({ jid, remove: true }));
  }

  private apply(item: RosterEntry): string {
    const bare = parseJid(item.jid).bare;
    if (item.subscription === 'remove') this.items.delete(bare);
    else this.items.set(bare, { ...item, jid: bare });
    return bare;
  }

  /** Pushes come in bursts (a directory sync): one write of the cache for a burst. */
  private saveSoon(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.save(), 1_000);
  }

  private load(): CachedRoster | null {
    try {
      const text = this.storage?.getItem(this.cacheKey);
      const cached = text ? (JSON.parse(text) as CachedRoster) : null;
      return cached && typeof cached.version === 'string' && Array.isArray(cached.items) ? cached : null;
    } catch {
      return null;
    }
  }

  private save(): void {
    if (!this.storage || this.version === undefined) return;
    try {
      this.storage.setItem(this.cacheKey, JSON.stringify({ version: this.version, items: [...this.items.values()] }));
    } catch {
      // storage full or disabled: versioning just saves less next time
    }
  }
}

