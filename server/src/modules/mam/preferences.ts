// XEP-0441 archiving preferences (<prefs xmlns='urn:xmpp:mam:2'/>): the iq get/set, and the
// decision whether a message to or from a contact goes into a user's archive.
import { StanzaError, tryParseJid, type Element, type JID } from '@parley/shared';
import type { Archive } from '../../archive/index.ts';
import type { Cache } from '../../core/cache.ts';
import type { RosterStore } from '../../storage/index.ts';
import type { ArchivingDefault, ArchivingPreferences } from '../../archive/types.ts';

const DEFAULTS = new Set<ArchivingDefault>(['always', 'never', 'roster']);
/** JIDs per list; a user who needs more wants a different default. */
export const MAX_PREFERENCE_JIDS = 1000;

/**
 * Every user's stored preferences are read at start (archive.savedPreferences) and kept in a cache,
 * so that deciding whether to archive a message needs no storage read: a user absent from the
 * cache has none and gets the default.
 */
export class ArchivingPolicy {
  constructor(private readonly roster: RosterStore, private readonly archive: Archive,
    private readonly saved: Cache<ArchivingPreferences>) {
    for (const [owner, preferences] of archive.savedPreferences) saved.set(owner, preferences);
  }

  get(owner: string): ArchivingPreferences {
    return this.saved.get(owner) ?? { default: this.archive.config.defaultPolicy, always: [], never: [] };
  }

  async set(owner: string, preferences: ArchivingPreferences): Promise<void> {
    await this.archive.preferences.set(owner, preferences);
    this.saved.set(owner, preferences);
  }

  /**
   * Whether `owner` archives messages with `peer` (XEP-0441 §2.3: a listed full JID matches that
   * resource only, a listed bare JID any resource; 'never' wins over 'always'). Synchronous unless
   * the roster must be read.
   */
  archives(owner: string, peer: JID): boolean | Promise<boolean> {
    const preferences = this.saved.get(owner);
    if (preferences) {
      if (listed(preferences.never, peer)) return false;
      if (listed(preferences.always, peer)) return true;
    }
    const policy = preferences?.default ?? this.archive.config.defaultPolicy;
    if (policy !== 'roster') return policy === 'always';
    if (peer.bare === owner) return true;
    return this.roster.getItem(owner, peer.bare).then((item) => item !== null);
  }
}

function listed(jids: string[], peer: JID): boolean {
  for (const jid of jids) {
    if (jid === peer.bare || jid === peer.full) return true;
  }
  return false;
}

/**
 * Reads a <prefs/> set; throws bad-request or jid-malformed for a bad one. (The answer is built with
 * @parley/shared/mam mamPreferences(); its parser is the lenient one clients use, this one refuses.)
 */
export function parsePreferences(prefs: Element): ArchivingPreferences {
  const policy = prefs.attrs.default;
  if (policy === undefined || !DEFAULTS.has(policy as ArchivingDefault)) {
    throw new StanzaError('bad-request', "'default' must be always, never or roster");
  }
  const list = (name: string): string[] => {
    const container = prefs.getChildren(name);
    if (container.length > 1) throw new StanzaError('bad-request', `one <${name}/> at most`);
    const jids = container[0]?.getChildren('jid') ?? [];
    if (jids.length > MAX_PREFERENCE_JIDS) throw new StanzaError('not-acceptable', `at most ${MAX_PREFERENCE_JIDS} JIDs in <${name}/>`);
    const out = new Set<string>();
    for (const element of jids) {
      const jid = tryParseJid(element.getText().trim());
      if (!jid) throw new StanzaError('jid-malformed', `not a JID in <${name}/>: ${element.getText().slice(0, 100)}`);
      out.add(jid.full);
    }
    return [...out];
  };
  return { default: policy as ArchivingDefault, always: list('always'), never: list('never') };
}
