// XEP-0424 on Elasticsearch: the entries a retraction turns into tombstones (rules in
// ../retraction.ts), found by the archive id, else in the conversation's newest pages (the stanza
// is stored, not indexed: the id's text is looked for in the pages read, newest first).
import type { ArchiveEntry } from '../types.ts';
import { searchText, tombstones, type Retraction, type RetractionScope } from '../retraction.ts';

/** Entries read per page while looking for a retracted message. */
const RETRACTION_PAGE = 500;

/** One page of the scope's entries on the author's side, newest first (before `beforeSeq`), or the entry with archive id `id`. */
export type ConversationPage = (size: number, beforeSeq?: number, id?: string) => Promise<ArchiveEntry[]>;

export async function findTombstones(search: ConversationPage, scope: RetractionScope, retraction: Retraction): Promise<Array<{ entry: ArchiveEntry; stanza: string }>> {
  const byId = await search(1, undefined, retraction.target);
  const text = searchText(retraction.target);
  const candidates: ArchiveEntry[] = [...byId];
  let before: number | undefined;
  for (let read = 0; read < retraction.lookback;) {
    const page = await search(Math.min(RETRACTION_PAGE, retraction.lookback - read), before);
    if (page.length === 0) break;
    read += page.length;
    before = page[page.length - 1]!.seq;
    for (const entry of page) if (entry.stanza.includes(text) && !byId.some((e) => e.id === entry.id)) candidates.push(entry);
    // newest first: once the original is among them, so are its (later) corrections
    if (tombstones(candidates, retraction, scope).length > 0) break;
  }
  return tombstones(candidates, retraction, scope);
}
