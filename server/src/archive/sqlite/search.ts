// The FTS5 index's 'tags' column, and turning an archive filter into a MATCH expression
// (tokenizer: unicode61 with remove_diacritics 2, the same folding as @parley/shared/fulltext).
//
// Each entry of a message puts two tags in the message's index row: one for its archive (owner)
// and one for its archive and peer. Queries of one archive, with or without a contact, and searches
// within them are then walks of one tag's list of rows in the index (intersected with the words'),
// so the message table needs no index of its own: one row insert and one index insert per message.
// A tag is a JID's number (jids.ts) written with private-use characters, which unicode61 keeps as
// word characters: one or two characters, so that the index's prefix lists (2, 3 and 4 characters,
// kept for body prefixes) get at most one entry for a tag. Three alphabets keep the kinds apart:
//   owner tag:          the owner's number in base 6,400 over U+E000–U+F8FF;
//   owner + peer tag:   the owner's number in base 65,534 over plane 15 (U+F0000–U+FFFFD), then
//                       the peer's in base 65,534 over plane 16 (U+100000–U+10FFFD).
// Message text may hold private-use characters too; the column filter ('tags :') keeps them apart.
import type { SearchTerm } from '@parley/shared/fulltext';

const OWNER_BASE = 0xe000;
const OWNER_DIGITS = 6400;
const PAIR_OWNER_BASE = 0xf0000;
const PAIR_PEER_BASE = 0x100000;
const PAIR_DIGITS = 65534;

function digits(n: number, base: number, count: number): string {
  let out = String.fromCodePoint(base + (n % count));
  for (n = Math.floor(n / count); n > 0; n = Math.floor(n / count)) out = String.fromCodePoint(base + (n % count)) + out;
  return out;
}

/** The tag of one archive (its owner's JID number). */
export function ownerTag(owner: number): string {
  return digits(owner, OWNER_BASE, OWNER_DIGITS);
}

/** The tag of one archive's conversation with one peer. */
export function pairTag(owner: number, peer: number): string {
  return digits(owner, PAIR_OWNER_BASE, PAIR_DIGITS) + digits(peer, PAIR_PEER_BASE, PAIR_DIGITS);
}

/** The two tags of one entry, as stored in the index (and kept in its row, to delete them again). */
export function entryTags(owner: number, peer: number): string {
  return ownerTag(owner) + ' ' + pairTag(owner, peer);
}

/**
 * `tags : "o"` for one archive, `tags : "op"` with a contact, `AND body : ("word" AND "pre"* AND
 * "a phrase")` for a search.
 */
export function matchExpression(owner: number, peer: number | undefined, terms: SearchTerm[] | undefined): string {
  const tag = peer === undefined ? ownerTag(owner) : pairTag(owner, peer);
  const tags = `tags : "${tag}"`;
  if (terms === undefined || terms.length === 0) return tags;
  // Words hold only letters, digits and marks (searchWords), so they never need escaping; the
  // quotes keep FTS5 from reading a word such as AND, OR, NOT or NEAR as an operator.
  const body = terms.map((term) => `"${term.words.join(' ')}"${term.prefix ? '*' : ''}`);
  return `${tags} AND body : (${body.join(' AND ')})`;
}
