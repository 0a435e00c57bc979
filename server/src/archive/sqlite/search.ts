// Turning an archive filter into an SQLite FTS5 MATCH expression (tokenizer: unicode61 with
// remove_diacritics 2, the same folding as @parley/shared/fulltext).
import { createHash } from 'node:crypto';
import type { SearchTerm } from '@parley/shared/fulltext';

/**
 * A single-token tag for a JID ('o' owner, 'p' peer), stored in the FTS 'tags' column: a search
 * then intersects the word's entries with the user's instead of reading every user's.
 * 64 bits of SHA-256: the rows found are still checked against the real columns.
 */
export function jidTag(kind: 'o' | 'p', jid: string): string {
  const key = kind + jid;
  let tag = tagCache.get(key);
  if (tag === undefined) {
    tag = kind + createHash('sha256').update(jid).digest('hex').slice(0, 16);
    if (tagCache.size >= TAG_CACHE_SIZE) tagCache.clear();
    tagCache.set(key, tag);
  }
  return tag;
}

/** Hashing is most of a tag's cost and the same JIDs come back all the time. */
const tagCache = new Map<string, string>();
const TAG_CACHE_SIZE = 100_000;

export function tagsOf(owner: string, peer: string): string {
  return `${jidTag('o', owner)} ${jidTag('p', peer)}`;
}

/** `tags : (o… p…) AND body : ("word" AND "pre"* AND "a phrase")`. */
export function matchExpression(owner: string, peer: string | undefined, terms: SearchTerm[]): string {
  const tags = [jidTag('o', owner)];
  if (peer !== undefined) tags.push(jidTag('p', peer));
  // Words hold only letters, digits and marks (searchWords), so they never need escaping; the
  // quotes keep FTS5 from reading a word such as AND, OR, NOT or NEAR as an operator.
  const body = terms.map((term) => `"${term.words.join(' ')}"${term.prefix ? '*' : ''}`);
  return `tags : (${tags.join(' AND ')}) AND body : (${body.join(' AND ')})`;
}
