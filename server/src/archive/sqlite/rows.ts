// One row of archive_rows holds one message: its entry in one archive, and in the peer's archive
// too when both are here (a message between two local users): the same seq, each entry its own
// public id. The row is read back as the entry of whichever archive asked.
import type { ArchiveEntry } from '../types.ts';
import { flatten } from '../flat-string.ts';
import { isMirror } from '../mirror.ts';

export interface ArchiveRow {
  seq: number;
  owner: string;
  peer: string;
  peer_resource: string;
  outgoing: number;
  sid: string;
  /** The entry in the peer's archive: its id, and its peer's (the owner's) resource; null when there is none. */
  mirror_sid: string | null;
  mirror_peer_resource: string | null;
  body: string;
  stanza: string;
}

export const ROW_COLUMNS = 'm.seq, m.owner, m.peer, m.peer_resource, m.outgoing, m.sid, m.mirror_sid, m.mirror_peer_resource, m.body, m.stanza';

/** The row as an entry of `owner`'s archive. */
export function entryOf(row: ArchiveRow, owner: string): ArchiveEntry {
  if (row.owner === owner || row.mirror_sid === null) {
    return {
      seq: row.seq, id: row.sid, owner: row.owner, peer: row.peer, peerResource: row.peer_resource,
      outgoing: row.outgoing === 1, body: row.body, stanza: row.stanza,
    };
  }
  return {
    seq: row.seq, id: row.mirror_sid, owner: row.peer, peer: row.owner, peerResource: row.mirror_peer_resource ?? '',
    outgoing: row.outgoing !== 1, body: row.body, stanza: row.stanza,
  };
}

/** Every entry the row holds. */
export function entriesOf(row: ArchiveRow): ArchiveEntry[] {
  const first = entryOf(row, row.owner);
  return row.mirror_sid === null ? [first] : [first, entryOf(row, row.peer)];
}

/**
 * Rows as they travel to the writer (and to its thread, by structured clone: flat values clone at
 * less than half the cost of objects), ROW_WIDTH values per row: seq, sid, owner, peer,
 * peer_resource, outgoing (1/0), body, stanza, mirror_sid, mirror_peer_resource.
 */
export type RowValue = string | number | null;
export const ROW_WIDTH = 10;

/** Appends `entries` to `rows`, a message's two entries (isMirror) as one row. */
export function pushRows(rows: RowValue[], entries: ArchiveEntry[]): void {
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const mirror = entries[i + 1];
    // the rows wait for the group commit: the stanza as one string, not its serializer's pieces
    const stanza = flatten(e.stanza);
    if (isMirror(e, mirror)) {
      i++;
      rows.push(e.seq, e.id, e.owner, e.peer, e.peerResource, e.outgoing ? 1 : 0, e.body, stanza, mirror.id, mirror.peerResource);
    } else {
      rows.push(e.seq, e.id, e.owner, e.peer, e.peerResource, e.outgoing ? 1 : 0, e.body, stanza, null, null);
    }
  }
}
