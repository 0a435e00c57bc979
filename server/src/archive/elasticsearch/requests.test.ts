// The Elasticsearch request bodies of the archive, checked as data (the MAM suite in
// test/mam-archive.test.ts runs them against a real node).
import { describe, expect, it } from 'vitest';
import { parseSearchQuery } from '@parley/shared/fulltext';
import {
  boundsSearches, bulkBody, bulkLines, bulkTarget, conversationSearch, entriesOfDocument, filterQuery, fromDocument, indexTemplate, messageDocuments, pageSearches,
  resolveSearch, termQuery,
} from './requests.ts';
import type { ArchiveEntry } from '../types.ts';

const entry: ArchiveEntry = {
  seq: 1_700_000_000_000 * 1024 + 5, id: '0abcdefghij-xyz123', owner: 'bob@example.com', peer: 'alice@example.com',
  peerResource: 'phone', outgoing: false, body: 'Le café', stanza: '<message xmlns="jabber:client"><body>Le café</body></message>',
};

describe('Elasticsearch archive requests', () => {
  it('declares an analyser that folds case and accents and splits words like FTS5 unicode61, with prefix indexes', () => {
    const template = indexTemplate({ index: 'parley-archive', shards: 2, replicas: 1 }) as {
      index_patterns: string[];
      template: { settings: Record<string, unknown> & { analysis: { analyzer: Record<string, unknown>; char_filter: Record<string, { pattern: string }> } }; mappings: { dynamic: string; properties: Record<string, Record<string, unknown>> } };
    };
    expect(template.index_patterns).toEqual(['parley-archive']);
    expect(template.template.settings).toMatchObject({ number_of_shards: 2, number_of_replicas: 1 });
    expect(template.template.settings.analysis.analyzer.parley_folded).toEqual({
      type: 'custom', char_filter: ['parley_word_separators'], tokenizer: 'standard', filter: ['lowercase', 'asciifolding'],
    });
    expect(template.template.settings.analysis.char_filter.parley_word_separators!.pattern).toBe('[^\\p{L}\\p{N}\\p{M}]+');
    const properties = template.template.mappings.properties;
    expect(template.template.mappings.dynamic).toBe('strict');
    expect(properties.body).toEqual({ type: 'text', analyzer: 'parley_folded', norms: false, index_prefixes: { min_chars: 1, max_chars: 4 } });
    expect(properties.stanza).toEqual({ type: 'keyword', index: false, doc_values: false });
    expect(properties.seq).toEqual({ type: 'long' });
    expect(properties.sides).toEqual({ type: 'object', enabled: false });
    for (const lookup of ['archives', 'with', 'with_full', 'sent_by', 'sids']) expect(properties[lookup]).toEqual({ type: 'keyword', doc_values: false });
  });

  it('turns a message into one document, keyed by its first entry, routed by its owner, and back', () => {
    const [doc, ...more] = messageDocuments([entry]);
    expect(more).toEqual([]);
    expect(doc).toEqual({
      seq: entry.seq, body: entry.body, stanza: entry.stanza, archives: ['bob@example.com'], with: ['bob@example.com alice@example.com'],
      with_full: ['bob@example.com alice@example.com/phone'], sent_by: [], sids: [entry.id],
      sides: [{ owner: 'bob@example.com', peer: 'alice@example.com', peer_resource: 'phone', outgoing: false, sid: entry.id }],
    });
    expect(fromDocument(doc!, 'bob@example.com')).toEqual(entry);
    const lines = bulkLines(doc!);
    expect(bulkBody([lines]).split('\n').map((line) => line && JSON.parse(line))).toEqual([
      { index: { _id: entry.id, routing: 'bob@example.com' } },
      doc,
      '',
    ]);
    expect(bulkTarget(lines)).toEqual({ id: entry.id, owner: 'bob@example.com' });
  });

  it('keeps both archives of a message between local users in one document', () => {
    const sent: ArchiveEntry = { ...entry, id: '0abcdefghij-sent', owner: 'alice@example.com', peer: 'bob@example.com', peerResource: '', outgoing: true };
    const other: ArchiveEntry = { ...entry, seq: entry.seq + 1, id: 'other' };
    const docs = messageDocuments([sent, entry, other]);
    expect(docs).toHaveLength(2);
    const [pair] = docs;
    expect(pair).toMatchObject({
      archives: ['alice@example.com', 'bob@example.com'],
      with: ['alice@example.com bob@example.com', 'bob@example.com alice@example.com'],
      with_full: ['alice@example.com bob@example.com/', 'bob@example.com alice@example.com/phone'],
      sent_by: ['alice@example.com'], sids: [sent.id, entry.id],
    });
    expect(fromDocument(pair!, 'bob@example.com')).toEqual(entry);
    expect(fromDocument(pair!, 'alice@example.com')).toEqual(sent);
    expect(entriesOfDocument(pair!)).toEqual([sent, entry]);
    expect(bulkTarget(bulkLines(pair!))).toEqual({ id: sent.id, owner: 'alice@example.com' });
  });

  it('translates search terms: words, prefixes, phrases', () => {
    const [word, prefix, phrase, phrasePrefix] = parseSearchQuery('Café caf* "good morning" "good morn"*');
    expect(termQuery(word!)).toEqual({ match: { body: { query: 'cafe', operator: 'and' } } });
    expect(termQuery(prefix!)).toEqual({ match_bool_prefix: { body: { query: 'caf', operator: 'and' } } });
    expect(termQuery(phrase!)).toEqual({ match_phrase: { body: { query: 'good morning' } } });
    expect(termQuery(phrasePrefix!)).toEqual({ match_phrase_prefix: { body: { query: 'good morn', max_expansions: 10_000 } } });
  });

  it('filters by owner, with (bare or full), seq bounds, ids and terms, without scoring', () => {
    expect(filterQuery({ owner: 'bob@example.com' })).toEqual({ bool: { filter: [{ term: { archives: 'bob@example.com' } }] } });
    expect(filterQuery({ owner: 'bob@example.com', with: { bare: 'alice@example.com' } }))
      .toEqual({ bool: { filter: [{ term: { with: 'bob@example.com alice@example.com' } }] } });
    expect(filterQuery({
      owner: 'bob@example.com', with: { bare: 'alice@example.com', resource: 'phone' }, minSeq: 10, maxSeq: 20, seqs: [11, 12],
      fulltext: parseSearchQuery('hello'),
    }, { gt: 11 })).toEqual({ bool: { filter: [
      { term: { with_full: 'bob@example.com alice@example.com/phone' } },
      { range: { seq: { gte: 10, lte: 20 } } },
      { range: { seq: { gt: 11 } } },
      { terms: { seq: [11, 12] } },
      { match: { body: { query: 'hello', operator: 'and' } } },
    ] } });
  });

  it('asks one page and the counts RSM needs in one msearch', () => {
    const filter = { owner: 'bob@example.com' };
    const forward = pageSearches('idx', filter, { direction: 'forward', cursor: 42, offset: 3, limit: 11 });
    expect(forward).toHaveLength(4);
    expect(forward[0]).toEqual({ index: 'idx' });
    expect(forward[1]).toMatchObject({ sort: [{ seq: 'asc' }], size: 11, from: 3, track_total_hits: true,
      query: filterQuery(filter, { gt: 42 }) });
    expect(forward[3]).toEqual({ query: filterQuery(filter), size: 0, track_total_hits: true });
    const lastPage = pageSearches('idx', filter, { direction: 'backward', limit: 21 });
    expect(lastPage).toHaveLength(2);
    expect(lastPage[1]).toMatchObject({ sort: [{ seq: 'desc' }], size: 21, from: 0, query: filterQuery(filter) });
    const backward = pageSearches('idx', filter, { direction: 'backward', cursor: 42, limit: 21 });
    expect(backward[1]).toMatchObject({ query: filterQuery(filter, { lt: 42 }) });
  });

  it('finds ids and archive bounds of one owner', () => {
    expect(resolveSearch('bob@example.com', ['a', 'b'])).toEqual({
      query: { bool: { filter: [{ term: { archives: 'bob@example.com' } }, { terms: { sids: ['a', 'b'] } }] } },
      size: 2, _source: ['seq', 'sides'],
    });
    const bounds = boundsSearches('idx', 'bob@example.com');
    expect(bounds[1]).toMatchObject({ sort: [{ seq: 'asc' }], size: 1 });
    expect(bounds[3]).toMatchObject({ sort: [{ seq: 'desc' }], size: 1 });
  });

  it('finds a conversation on the author\'s side for a retraction', () => {
    expect(conversationSearch('bob@example.com', 'alice@example.com', true, 5, 99, 'x').query).toEqual({ bool: { filter: [
      { term: { with: 'bob@example.com alice@example.com' } }, { range: { seq: { lt: 99 } } }, { term: { sids: 'x' } },
      { term: { sent_by: 'bob@example.com' } },
    ] } });
    expect(conversationSearch('bob@example.com', 'alice@example.com', false, 5).query).toEqual({ bool: {
      filter: [{ term: { with: 'bob@example.com alice@example.com' } }], must_not: [{ term: { sent_by: 'bob@example.com' } }],
    } });
  });
});
