// XEP-0431 full-text search: the query language of Parley's archive search, and the word folding
// its indexes use, so that the web client highlights exactly what the server matched.
//
// A query is a list of terms that must all match (AND), newest results first when paged backwards:
//   hello          the whole word "hello" (also "Hello", "HÉLLO")
//   hel*           any word starting with "hel"
//   "good morning" the words in this order, next to each other ("good morn"* ends with a prefix)
// Case and accents never matter. Words are runs of letters and digits: "don't" is "don" + "t".

/** The XEP-0431 form field, in Clark notation. */
export const FULLTEXT_FIELD = '{urn:xmpp:fulltext:0}fulltext';

export interface SearchTerm {
  /** Folded words; more than one makes a phrase. */
  words: string[];
  /** The last word is a prefix. */
  prefix: boolean;
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}+/gu;

/** Lowercase, accents (combining marks) removed: what both archive indexes compare. */
export function foldWord(word: string): string {
  return word.normalize('NFD').replace(MARKS, '').toLowerCase();
}

/** The folded words of a text, in order. */
export function searchWords(text: string): string[] {
  const out: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const folded = foldWord(match[0]);
    if (folded !== '') out.push(folded);
  }
  return out;
}

/** Parse a search box's text into terms; an empty list when it holds no word. */
export function parseSearchQuery(text: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  // "quoted phrase" (optionally followed by *), or a run of non-space characters
  const chunks = /"([^"]*)"(\*?)|(\S+)/g;
  for (const match of text.matchAll(chunks)) {
    const phrase = match[1];
    const raw = phrase ?? match[3]!;
    const prefix = phrase !== undefined ? match[2] === '*' : raw.endsWith('*');
    const words = searchWords(raw);
    if (words.length === 0) continue;
    terms.push({ words, prefix });
  }
  return terms;
}

/** Character ranges [start, end) of `text` that the terms match, in order and not overlapping. */
export function highlightRanges(text: string, terms: SearchTerm[]): Array<[number, number]> {
  const spans: Array<{ start: number; end: number; word: string }> = [];
  for (const match of text.matchAll(WORD)) {
    const folded = foldWord(match[0]);
    if (folded !== '') spans.push({ start: match.index!, end: match.index! + match[0].length, word: folded });
  }
  const marked = new Array<boolean>(spans.length).fill(false);
  for (const term of terms) {
    const n = term.words.length;
    for (let i = 0; i + n <= spans.length; i++) {
      let matches = true;
      for (let k = 0; k < n && matches; k++) {
        const word = spans[i + k]!.word;
        const wanted = term.words[k]!;
        matches = k === n - 1 && term.prefix ? word.startsWith(wanted) : word === wanted;
      }
      if (matches) for (let k = 0; k < n; k++) marked[i + k] = true;
    }
  }
  const ranges: Array<[number, number]> = [];
  for (let i = 0; i < spans.length; i++) if (marked[i]) ranges.push([spans[i]!.start, spans[i]!.end]);
  return ranges;
}
