// A message between two local users is archived twice, once in each archive (the archiver appends
// both entries together, with one seq). Both stores keep such a pair as one record: a row
// (sqlite/rows.ts), a document (elasticsearch/requests.ts).
import type { ArchiveEntry } from './types.ts';

/** `second` is `first` in the peer's archive, appended right after it. */
export function isMirror(first: ArchiveEntry, second: ArchiveEntry | undefined): second is ArchiveEntry {
  return second !== undefined && second.seq === first.seq && second.owner === first.peer && second.peer === first.owner
    && first.owner !== first.peer && second.outgoing !== first.outgoing && second.stanza === first.stanza && second.body === first.body;
}
