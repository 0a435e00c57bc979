// The conversation archive behind XEP-0313: what is stored per user, how it is queried, and the
// contract every backend (embedded SQLite FTS5, Elasticsearch) fulfils with the same answers.
import type { SearchTerm } from '@parley/shared/fulltext';
import type { Element } from '@parley/shared';

/** One archived message in one user's archive (a message between two local users is archived twice). */
export interface ArchiveEntry {
  /**
   * Position in the archive: unique, only grows, and encodes the archiving time
   * (the archiving time in ms, scaled, + a counter and the node: ids.ts). Orders the archive.
   */
  seq: number;
  /** The public archive id (XEP-0313 result id, XEP-0359 stanza-id, RSM cursor): ids.ts. */
  id: string;
  /** The archive's user, a bare JID. */
  owner: string;
  /** The other side, as a bare JID. */
  peer: string;
  /** The other side's resource ('' when none was addressed). */
  peerResource: string;
  /** Sent by the owner (true) or received (false). */
  outgoing: boolean;
  /** The text that full-text search sees (the message's bodies). */
  body: string;
  /** The message as serialized XML with xmlns='jabber:client', returned in <forwarded/>. */
  stanza: string;
}

/** Which entries of one archive a query selects (XEP-0313 §4.1 form fields, already validated). */
export interface ArchiveFilter {
  owner: string;
  /** 'with': a bare JID, and a resource when the client gave a full JID. */
  with?: { bare: string; resource?: string };
  /** Inclusive bounds on seq, from 'start'/'end' and 'after-id'/'before-id'. */
  minSeq?: number;
  maxSeq?: number;
  /** 'ids': only these entries. */
  seqs?: number[];
  /** XEP-0431 terms, all of which must match the body. */
  fulltext?: SearchTerm[];
}

/**
 * One page of results, in the direction of paging: 'forward' from the oldest (after a cursor),
 * 'backward' from the newest (before a cursor).
 */
export interface PageRequest {
  direction: 'forward' | 'backward';
  /** Exclusive bound: forward pages start after it, backward pages end before it. */
  cursor?: number;
  /** Forward only: skip this many results first (RSM <index/>). */
  offset?: number;
  /** Entries to return (the caller asks one more than it shows, to know whether more exist). */
  limit: number;
}

export interface PageResult {
  /** In the direction of paging: oldest first for 'forward', newest first for 'backward'. */
  entries: ArchiveEntry[];
  /** All entries the filter selects. */
  total: number;
  /**
   * Entries the filter selects that lie before the page's starting point: forward, those at or
   * before the cursor; backward, those before the cursor. Gives RSM <first index=''/>.
   */
  preceding: number;
}

export interface ArchiveBounds {
  first: { id: string; seq: number };
  last: { id: string; seq: number };
}

export interface ArchiveStore {
  readonly backend: 'sqlite' | 'elasticsearch';
  /**
   * Keeps the entries. Returns at once; they are committed by the group commit
   * (storage/group-commit.ts), and a query sees them (flush()).
   */
  append(entries: ArchiveEntry[]): void;
  /** Makes every appended entry visible to queries (for Elasticsearch: indexed and refreshed). */
  flush(): Promise<void>;
  /** Seqs of the owner's entries with these public ids; unknown ids are absent from the map. */
  resolve(owner: string, ids: string[]): Promise<Map<string, number>>;
  page(filter: ArchiveFilter, request: PageRequest): Promise<PageResult>;
  /** The owner's oldest and newest entries (XEP-0313 metadata), or null for an empty archive. */
  bounds(owner: string): Promise<ArchiveBounds | null>;
  /**
   * XEP-0424 §5: turns the message a retraction names (and its corrections) into a tombstone in
   * every archive holding it (retraction.ts has the rules); returns how many entries changed. Runs
   * after the entries appended before it; queries made after the call see its result.
   */
  retract(retraction: Retraction): Promise<number>;
  /** Deletes every entry older than `seq` (retention); returns how many went, when known. */
  pruneBefore(seq: number): Promise<number>;
  /** The highest seq stored, so that ids keep growing across restarts (0 when empty). */
  highestSeq(): Promise<number>;
  close(): Promise<void>;
}

// XEP-0441 preferences: the type is shared with clients, the store is the state storage's.
export type { ArchivingDefault, ArchivingPreferences } from '@parley/shared/mam';
export type { ArchivePreferenceStore } from '../storage/index.ts';

// ---- XEP-0424 retractions, as ArchiveStore.retract() takes them (the rules: retraction.ts) ----

/** One conversation of one archive in which the retracted message may be. */
export interface RetractionScope {
  /** The archive (a local user's bare JID, or a room's). */
  owner: string;
  /** The other side (the room itself in a room archive). */
  peer: string;
  /** The author's entries there are outgoing (the owner wrote them) or incoming (the peer did). */
  outgoing: boolean;
}

export interface Retraction {
  /** The id <retract/> names. */
  target: string;
  /** Where to look, in order: the first archive holding the message is the one changed (its row is shared by both owners). */
  scopes: RetractionScope[];
  /** One-to-one: the bare JID that sent the retraction (the original's sender must be the same). */
  author?: string;
  /** Rooms: the retracting occupant's XEP-0421 id (the original must carry the same). */
  occupantId?: string;
  /** XEP-0425: a moderator retracts; the <moderated/> element goes into the tombstone. */
  moderated?: Element;
  reason?: string;
  /** The retraction message's 'id' (the tombstone's <retracted id/>, so that clients pair them). */
  retractionId?: string;
  /** When the retraction was archived (ms). */
  stamp: number;
  /** Newest entries of the conversation searched for an 'id' or origin-id (an archive id is found at any age). */
  lookback: number;
}
