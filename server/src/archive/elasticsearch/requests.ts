// The Elasticsearch requests of the archive, as plain data (unit-tested in requests.test.ts):
// the index template with its analyser, documents and bulk bodies, and the searches of a MAM page.
import type { SearchTerm } from '@parley/shared/fulltext';
import type { ArchiveEntry, ArchiveFilter, PageRequest } from '../types.ts';
import { isMirror } from '../mirror.ts';

export interface IndexSettings {
  index: string;
  shards: number;
  replicas: number;
}

/**
 * Words are folded like the embedded store's FTS5 unicode61 tokenizer with remove_diacritics 2:
 * every character that is not a letter or a digit separates words (the char filter, so that
 * "don't" is "don" + "t" in both), then the standard tokenizer, lowercase and asciifolding.
 * index_prefixes keeps an edge-ngram index of every word's first 1–4 characters (FTS5's prefix
 * indexes hold 2–4), so that the short prefixes (the ones matching many words) are term lookups; a
 * longer one expands over the few words that start with it. (1–19 characters were most of the
 * indexing cost. min_chars stays 1: Elasticsearch 7.10 fails a match_bool_prefix query whose prefix
 * is shorter than min_chars, "rewriteMethod is null".) The index refreshes every 30 s by itself: a
 * query refreshes it first when it changed (store.ts), so frequent refreshes would only make more
 * segments to merge.
 */
export function indexTemplate(settings: IndexSettings): Record<string, unknown> {
  return {
    index_patterns: [settings.index],
    priority: 100,
    template: {
      settings: {
        number_of_shards: settings.shards,
        number_of_replicas: settings.replicas,
        refresh_interval: '30s',
        analysis: {
          char_filter: {
            parley_word_separators: { type: 'pattern_replace', pattern: '[^\\p{L}\\p{N}\\p{M}]+', replacement: ' ' },
          },
          analyzer: {
            parley_folded: {
              type: 'custom',
              char_filter: ['parley_word_separators'],
              tokenizer: 'standard',
              filter: ['lowercase', 'asciifolding'],
            },
          },
        },
      },
      mappings: {
        dynamic: 'strict',
        properties: DOCUMENT_PROPERTIES,
      },
    },
  };
}

/**
 * One document per message: both entries of a message between two local users share it (as both
 * share one row in the embedded store), which halves what Elasticsearch indexes; a message with one
 * archive (a remote peer, a room) has one side. The lookups go through keyword fields holding a
 * value per side. Keywords keep no doc values (nothing sorts or aggregates on them), the body no
 * norms (queries filter, nothing is scored). `sides` is kept in _source only.
 */
const DOCUMENT_PROPERTIES = {
  seq: { type: 'long' },
  // the archives holding the message (their owners' bare JIDs)
  archives: { type: 'keyword', doc_values: false },
  // per side 'owner peer' and 'owner peer/resource': XEP-0313 §4.1.1 'with', bare or full
  with: { type: 'keyword', doc_values: false },
  with_full: { type: 'keyword', doc_values: false },
  // the owners whose entry is outgoing (not 'outgoing': the first layout's boolean of that name
  // stays in a migrated index's mapping, and a field's type cannot change)
  sent_by: { type: 'keyword', doc_values: false },
  // the entries' public ids
  sids: { type: 'keyword', doc_values: false },
  sides: { type: 'object', enabled: false },
  body: {
    type: 'text',
    analyzer: 'parley_folded',
    norms: false,
    index_prefixes: { min_chars: 1, max_chars: 4 },
  },
  // returned as it was stored, never searched
  stanza: { type: 'keyword', index: false, doc_values: false },
};

/**
 * Migration of an index of the first layout (one document per entry, routed by its owner, with
 * owner, peer, peer_resource, outgoing, sid and ts fields) in place: each document becomes a
 * message document with that one side (a pair stays two documents, which is what a message with two
 * unmerged sides is). The document keeps its id and routing, so a later overwrite (a tombstone)
 * lands on it.
 */
export const FIRST_LAYOUT_MIGRATION = {
  query: { bool: { must_not: { exists: { field: 'archives' } } } },
  script: {
    lang: 'painless',
    source: `
      def s = ctx._source;
      def side = ['owner': s.owner, 'peer': s.peer, 'peer_resource': s.peer_resource, 'outgoing': s.outgoing, 'sid': s.sid];
      def doc = ['seq': s.seq, 'body': s.body, 'stanza': s.stanza, 'archives': [s.owner], 'with': [s.owner + ' ' + s.peer],
        'with_full': [s.owner + ' ' + s.peer + '/' + s.peer_resource], 'sent_by': s.outgoing ? [s.owner] : [], 'sids': [s.sid],
        'sides': [side]];
      ctx._source.clear();
      ctx._source.putAll(doc);
    `,
  },
};

/** The properties a migrated index gains (its old ones stay in its mapping, unused). */
export const MIGRATED_PROPERTIES = { properties: DOCUMENT_PROPERTIES };

/** An entry of the message in one archive. */
export interface DocumentSide {
  owner: string;
  peer: string;
  peer_resource: string;
  outgoing: boolean;
  sid: string;
}

export interface ArchiveDocument {
  seq: number;
  body: string;
  stanza: string;
  archives: string[];
  with: string[];
  with_full: string[];
  sent_by: string[];
  sids: string[];
  sides: DocumentSide[];
}

function withKey(owner: string, peer: string): string {
  return owner + ' ' + peer;
}

function withFullKey(owner: string, peer: string, resource: string): string {
  return owner + ' ' + peer + '/' + resource;
}

/** The document of a message from its entries (one, or both of a mirrored pair: one seq, body and stanza). */
export function messageDocument(entries: ArchiveEntry[], body = entries[0]!.body, stanza = entries[0]!.stanza): ArchiveDocument {
  const doc: ArchiveDocument = {
    seq: entries[0]!.seq, body, stanza, archives: [], with: [], with_full: [], sent_by: [], sids: [], sides: [],
  };
  for (const e of entries) {
    doc.archives.push(e.owner);
    doc.with.push(withKey(e.owner, e.peer));
    doc.with_full.push(withFullKey(e.owner, e.peer, e.peerResource));
    if (e.outgoing) doc.sent_by.push(e.owner);
    doc.sids.push(e.id);
    doc.sides.push({ owner: e.owner, peer: e.peer, peer_resource: e.peerResource, outgoing: e.outgoing, sid: e.id });
  }
  return doc;
}

/** Entries as documents: a message's two entries appended together (isMirror) share one. */
export function messageDocuments(entries: ArchiveEntry[]): ArchiveDocument[] {
  const docs: ArchiveDocument[] = [];
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const next = entries[i + 1];
    if (isMirror(entry, next)) {
      docs.push(messageDocument([entry, next]));
      i++;
    } else {
      docs.push(messageDocument([entry]));
    }
  }
  return docs;
}

function entryOfSide(doc: ArchiveDocument, side: DocumentSide): ArchiveEntry {
  return {
    seq: doc.seq, id: side.sid, owner: side.owner, peer: side.peer, peerResource: side.peer_resource,
    outgoing: side.outgoing, body: doc.body, stanza: doc.stanza,
  };
}

/** The message as an entry of `owner`'s archive (a document the query selected holds one). */
export function fromDocument(doc: ArchiveDocument, owner: string): ArchiveEntry {
  return entryOfSide(doc, doc.sides.find((side) => side.owner === owner) ?? doc.sides[0]!);
}

/** Every entry of the message. */
export function entriesOfDocument(doc: ArchiveDocument): ArchiveEntry[] {
  return doc.sides.map((side) => entryOfSide(doc, side));
}

/**
 * A message's two lines of a bulk request (the action, then the document), as the local queue
 * keeps them, so that sending them needs no parsing or serializing again. The document id is the
 * first entry's public id (indexing the same message again, after a retry, a reindex or as a
 * tombstone, overwrites it), routed by that entry's owner; the index is the request's.
 */
export function bulkLines(doc: ArchiveDocument): string {
  const first = doc.sides[0]!;
  return JSON.stringify({ index: { _id: first.sid, routing: first.owner } }) + '\n' + JSON.stringify(doc);
}

/** The document id and routing of a message's bulk lines. */
export function bulkTarget(lines: string): { id: string; owner: string } {
  const { index } = JSON.parse(lines.slice(0, lines.indexOf('\n'))) as { index: { _id: string; routing: string } };
  return { id: index._id, owner: index.routing };
}

/** Bulk request body (NDJSON) of messages' bulk lines. */
export function bulkBody(lines: readonly string[]): string {
  return lines.join('\n') + '\n';
}

type Query = Record<string, unknown>;

/** One XEP-0431 term as a query on the analysed body. */
export function termQuery(term: SearchTerm): Query {
  const text = term.words.join(' ');
  if (term.words.length === 1) {
    return term.prefix
      ? { match_bool_prefix: { body: { query: text, operator: 'and' } } }
      : { match: { body: { query: text, operator: 'and' } } };
  }
  return term.prefix
    ? { match_phrase_prefix: { body: { query: text, max_expansions: 10_000 } } }
    : { match_phrase: { body: { query: text } } };
}

/**
 * The filter of a MAM query (no scoring: results are ordered by seq only). The owner's JID has no
 * space in it, so 'owner peer' keys cannot run into each other.
 */
export function filterQuery(filter: ArchiveFilter, extraSeqRange?: { gt?: number; lt?: number; lte?: number }): Query {
  const clauses: Query[] = [];
  if (!filter.with) clauses.push({ term: { archives: filter.owner } });
  else if (filter.with.resource === undefined) clauses.push({ term: { with: withKey(filter.owner, filter.with.bare) } });
  else clauses.push({ term: { with_full: withFullKey(filter.owner, filter.with.bare, filter.with.resource) } });
  const range: Record<string, number> = {};
  if (filter.minSeq !== undefined) range.gte = filter.minSeq;
  if (filter.maxSeq !== undefined) range.lte = filter.maxSeq;
  if (Object.keys(range).length) clauses.push({ range: { seq: range } });
  if (extraSeqRange) clauses.push({ range: { seq: extraSeqRange } });
  if (filter.seqs !== undefined) clauses.push({ terms: { seq: filter.seqs } });
  for (const term of filter.fulltext ?? []) clauses.push(termQuery(term));
  return { bool: { filter: clauses } };
}

/** What reads take of a document (not its lookup fields). */
const SOURCE = ['seq', 'body', 'stanza', 'sides'];

/**
 * The msearch body of one page: the page itself, which also counts the results on its side of the
 * cursor (track_total_hits), and, when there is a cursor, a count of all the results.
 * Forward after a cursor: preceding = total − the page side's count; backward before a cursor:
 * preceding = the page side's count; without a cursor the page side's count is the total.
 * (No routing: a message both users have is in the shard of its first entry's owner.)
 */
export function pageSearches(index: string, filter: ArchiveFilter, request: PageRequest): Query[] {
  const header = { index };
  const forward = request.direction === 'forward';
  const cursorRange = request.cursor === undefined ? undefined : forward ? { gt: request.cursor } : { lt: request.cursor };
  const body: Query[] = [
    header,
    {
      query: filterQuery(filter, cursorRange),
      sort: [{ seq: forward ? 'asc' : 'desc' }],
      size: request.limit,
      from: forward ? request.offset ?? 0 : 0,
      track_total_hits: true,
      _source: SOURCE,
    },
  ];
  if (request.cursor !== undefined) body.push(header, { query: filterQuery(filter), size: 0, track_total_hits: true });
  return body;
}

/** Both ends of one archive (XEP-0313 metadata). */
export function boundsSearches(index: string, owner: string): Query[] {
  const header = { index };
  const query = { term: { archives: owner } };
  return [
    header, { query, sort: [{ seq: 'asc' }], size: 1, _source: ['seq', 'sides'] },
    header, { query, sort: [{ seq: 'desc' }], size: 1, _source: ['seq', 'sides'] },
  ];
}

/** Finds an owner's messages by their entries' public ids (the caller keeps the owner's side). */
export function resolveSearch(owner: string, ids: string[]): Query {
  return {
    query: { bool: { filter: [{ term: { archives: owner } }, { terms: { sids: ids } }] } },
    size: ids.length,
    _source: ['seq', 'sides'],
  };
}

/**
 * XEP-0424 retractions: one page of a conversation's messages on the author's side, newest first
 * (before `beforeSeq` for the next page), or the message with that archive id.
 */
export function conversationSearch(owner: string, peer: string, outgoing: boolean, size: number, beforeSeq?: number, id?: string): Query {
  const filter: Query[] = [{ term: { with: withKey(owner, peer) } }];
  if (beforeSeq !== undefined) filter.push({ range: { seq: { lt: beforeSeq } } });
  if (id !== undefined) filter.push({ term: { sids: id } });
  const side = { term: { sent_by: owner } };
  return { query: { bool: outgoing ? { filter: [...filter, side] } : { filter, must_not: [side] } }, sort: [{ seq: 'desc' }], size, _source: SOURCE };
}

/** Every document of one message (both sides of a local conversation share its seq). */
export function messageDocumentsSearch(seq: number): Query {
  return { query: { bool: { filter: [{ term: { seq } }] } }, size: 10, _source: SOURCE };
}
