// Search results: a message's text cut into plain and matching parts (rendered as text nodes and
// <mark> elements, never as HTML), the matches found with the archive's own word folding.
import { highlightRanges, type SearchTerm } from '@parley/shared/fulltext';

export interface TextSegment {
  text: string;
  match: boolean;
}

export interface HighlightOptions {
  /** Start the text this many characters before the first match (with '…'), when it is further in. */
  context?: number;
}

export function highlightSegments(text: string, terms: SearchTerm[], options: HighlightOptions = {}): TextSegment[] {
  const ranges = highlightRanges(text, terms);
  let start = 0;
  let lead = '';
  const firstMatch = ranges[0]?.[0];
  if (options.context !== undefined && firstMatch !== undefined && firstMatch > options.context) {
    // Cut at a space so that no word is split, and show that text was left out.
    const space = text.lastIndexOf(' ', firstMatch - options.context);
    start = space === -1 ? firstMatch - options.context : space + 1;
    lead = '…';
  }
  const segments: TextSegment[] = [];
  let at = start;
  for (const [from, to] of ranges) {
    if (from > at) segments.push({ text: text.slice(at, from), match: false });
    segments.push({ text: text.slice(from, to), match: true });
    at = to;
  }
  if (at < text.length) segments.push({ text: text.slice(at), match: false });
  if (lead) {
    if (segments[0]?.match === false) segments[0] = { text: lead + segments[0].text, match: false };
    else segments.unshift({ text: lead, match: false });
  }
  return segments;
}
