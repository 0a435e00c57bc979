// Search highlighting: the words the archive matched, found with its folding (case, accents).
import { describe, expect, it } from 'vitest';
import { parseSearchQuery } from '@parley/shared/fulltext';
import { highlightSegments } from './highlight.ts';

const marked = (text: string, query: string, context?: number) =>
  highlightSegments(text, parseSearchQuery(query), { context }).map((s) => (s.match ? `[${s.text}]` : s.text)).join('');

describe('highlightSegments', () => {
  it('marks whole words, prefixes and phrases, ignoring case and accents', () => {
    expect(marked('Café au lait? CAFE!', 'cafe')).toBe('[Café] au lait? [CAFE]!');
    expect(marked('the recipe needs Pumpernickel', 'pump*')).toBe('the recipe needs [Pumpernickel]');
    expect(marked('good morning, good night', '"good morning"')).toBe('[good] [morning], good night');
    expect(marked('catalogue', 'cat')).toBe('catalogue');
  });

  it('keeps markup as text', () => {
    const segments = highlightSegments('<b>bold</b> move', parseSearchQuery('bold'));
    expect(segments).toEqual([{ text: '<b>', match: false }, { text: 'bold', match: true }, { text: '</b> move', match: false }]);
  });

  it('starts a long text near its first match, at a word boundary', () => {
    const text = 'This is a rather long introduction that goes on and on before the interesting word appears';
    expect(marked(text, 'interesting', 20)).toBe('…on and on before the [interesting] word appears');
    expect(marked('short interesting text', 'interesting', 20)).toBe('short [interesting] text');
  });
});
