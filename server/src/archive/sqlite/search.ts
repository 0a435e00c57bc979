// Turning an archive filter into an SQLite FTS5 MATCH expression (tokenizer: unicode61 with
// remove_diacritics 2, the same folding as @parley/shared/fulltext).
import { createHash } from 'node:crypto';
import type { SearchTerm } from '@parley/shared/fulltext';

/**
 * Single-token tags stored in the FTS 'tags' column: 'o' + an owner, 'x' + an owner and a peer.
 * A search then intersects the word's messages with the user's instead of reading every user's.
 * 64 bits of SHA-256: the rows found are still checked against the real columns.
 */
export function jidTag(kind: 'o' | 'x', jid: string): string {
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

function pairTag(owner: string, peer: string): string {
  // a space never occurs in a JID
  return jidTag('x', `${owner} ${peer}`);
}

/** The tags of one entry (an FTS row holds those of every entry of its message). */
export function tagsOf(owner: string, peer: string): string {
  return `${jidTag('o', owner)} ${pairTag(owner, peer)}`;
}

/** `tags : o… AND body : ("word" AND "pre"* AND "a phrase")` ('x…' for an owner and a peer). */
export function matchExpression(owner: string, peer: string | undefined, terms: SearchTerm[]): string {
  const tag = peer === undefined ? jidTag('o', owner) : pairTag(owner, peer);
  // Words hold only letters, digits and marks (searchWords), so they never need escaping; the
  // quotes keep FTS5 from reading a word such as AND, OR, NOT or NEAR as an operator.
  const body = terms.map((term) => `"${term.words.join(' ')}"${term.prefix ? '*' : ''}`);
  return `tags : ${tag} AND body : (${body.join(' AND ')})`;
}
