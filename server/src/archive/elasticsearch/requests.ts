// The Elasticsearch requests of the archive, as plain data (unit-tested in requests.test.ts):
// the index template with its analyser, documents and bulk bodies, and the searches of a MAM page.
import type { SearchTerm } from '@parley/shared/fulltext';
import { timeOfSeq } from '../ids.ts';
import type { ArchiveEntry, ArchiveFilter, PageRequest } from '../types.ts';

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
        properties: {
          owner: { type: 'keyword' },
          seq: { type: 'long' },
          sid: { type: 'keyword' },
          ts: { type: 'date', format: 'epoch_millis' },
          peer: { type: 'keyword' },
          peer_resource: { type: 'keyword' },
          outgoing: { type: 'boolean' },
          body: {
            type: 'text',
            analyzer: 'parley_folded',
            index_prefixes: { min_chars: 1, max_chars: 4 },
          },
          // returned as it was stored, never searched
          stanza: { type: 'keyword', index: false, doc_values: false },
        },
      },
    },
  };
}

export interface ArchiveDocument {
  owner: string;
  seq: number;
  sid: string;
  ts: number;
  peer: string;
  peer_resource: string;
  outgoing: boolean;
  body: string;
  stanza: string;
}

export function toDocument(entry: ArchiveEntry): ArchiveDocument {
  return {
    owner: entry.owner, seq: entry.seq, sid: entry.id, ts: timeOfSeq(entry.seq), peer: entry.peer,
    peer_resource: entry.peerResource, outgoing: entry.outgoing, body: entry.body, stanza: entry.stanza,
  };
}

export function fromDocument(doc: ArchiveDocument): ArchiveEntry {
  return {
    seq: doc.seq, id: doc.sid, owner: doc.owner, peer: doc.peer, peerResource: doc.peer_resource,
    outgoing: doc.outgoing, body: doc.body, stanza: doc.stanza,
  };
}

/**
 * Bulk body: one 'index' action per entry, the public id as document id (indexing the same entry
 * twice, after a retry or a reindex, overwrites it), routed by owner so that one user's archive
 * sits in one shard.
 */
export function bulkBody(index: string, entries: ArchiveEntry[]): Array<Record<string, unknown>> {
  const body: Array<Record<string, unknown>> = [];
  for (const entry of entries) {
    body.push({ index: { _index: index, _id: entry.id, routing: entry.owner } });
    body.push(toDocument(entry) as unknown as Record<string, unknown>);
  }
  return body;
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

/** The filter of a MAM query (no scoring: results are ordered by seq only). */
export function filterQuery(filter: ArchiveFilter, extraSeqRange?: { gt?: number; lt?: number; lte?: number }): Query {
  const clauses: Query[] = [{ term: { owner: filter.owner } }];
  if (filter.with) {
    clauses.push({ term: { peer: filter.with.bare } });
    if (filter.with.resource !== undefined) clauses.push({ term: { peer_resource: filter.with.resource } });
  }
  const range: Record<string, number> = {};
  if (filter.minSeq !== undefined) range.gte = filter.minSeq;
  if (filter.maxSeq !== undefined) range.lte = filter.maxSeq;
  if (Object.keys(range).length) clauses.push({ range: { seq: range } });
  if (extraSeqRange) clauses.push({ range: { seq: extraSeqRange } });
  if (filter.seqs !== undefined) clauses.push({ terms: { seq: filter.seqs } });
  for (const term of filter.fulltext ?? []) clauses.push(termQuery(term));
  return { bool: { filter: clauses } };
}

const SOURCE = ['owner', 'seq', 'sid', 'peer', 'peer_resource', 'outgoing', 'body', 'stanza'];

/**
 * The msearch body of one page: the page itself, which also counts the results on its side of the
 * cursor (track_total_hits), and, when there is a cursor, a count of all the results.
 * Forward after a cursor: preceding = total − the page side's count; backward before a cursor:
 * preceding = the page side's count; without a cursor the page side's count is the total.
 */
export function pageSearches(index: string, filter: ArchiveFilter, request: PageRequest): Query[] {
  const header = { index, routing: filter.owner };
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
  const header = { index, routing: owner };
  const query = { term: { owner } };
  return [
    header, { query, sort: [{ seq: 'asc' }], size: 1, _source: ['seq', 'sid'] },
    header, { query, sort: [{ seq: 'desc' }], size: 1, _source: ['seq', 'sid'] },
  ];
}

/** Finds an owner's entries by public id (document ids). */
export function resolveSearch(owner: string, ids: string[]): Query {
  return {
    query: { bool: { filter: [{ term: { owner } }, { ids: { values: ids } }] } },
    size: ids.length,
    _source: ['seq', 'sid'],
  };
}

/**
 * XEP-0424 retractions: one page of a conversation's entries on the author's side, newest first
 * (before `beforeSeq` for the next page), or the entry with that archive id.
 */
export function conversationSearch(owner: string, peer: string, outgoing: boolean, size: number, beforeSeq?: number, id?: string): Query {
  const filter: Query[] = [{ term: { owner } }, { term: { peer } }, { term: { outgoing } }];
  if (beforeSeq !== undefined) filter.push({ range: { seq: { lt: beforeSeq } } });
  if (id !== undefined) filter.push({ ids: { values: [id] } });
  return { query: { bool: { filter } }, sort: [{ seq: 'desc' }], size, _source: SOURCE };
}

/** Every archive's entry of one message (both sides of a local conversation share its seq). */
export function messageEntriesSearch(seq: number): Query {
  return { query: { bool: { filter: [{ term: { seq } }] } }, size: 10, _source: SOURCE };
}
